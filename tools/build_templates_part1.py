T = []


def t(tid, topic, q, init, ans, sol, cond=(), noop=None, noop_init=()):
    T.append(dict(id=tid, topic=topic, q=q, init=init, cond=cond, ans=ans, sol=sol, noop=noop, noop_init=noop_init))


# ---------------- money ----------------
t("money-01", "money",
  "{name,Ava} buys {n,4} notebooks at {cur,$}{p,3} each and a backpack for {cur,$}{b,25}. How much does she spend in total?",
  ["name = sample(names_female)", "cur = sample(currencies_sym)", "$n = range(2, 12)", "$p = range(2, 15)",
   "$b = range(10, 60)"],
  "n * p + b",
  "The notebooks cost {n} * {cur}{p} = {cur}<<{n}*{p}={n*p}>>{n*p}.\nIn total she spends {n*p} + {b} = {cur}<<{n*p}+{b}={n*p+b}>>{n*p+b}.\n#### {n*p+b}",
  noop="Her brother bought {k,3} pencils last week.", noop_init=["$k = range(2, 9)"])
t("money-02", "money",
  "{name,Liam} has {cur,$}{m,50}. He buys {n,3} tickets that cost {cur,$}{p,12} each. How much money does he have left?",
  ["name = sample(names_male)", "cur = sample(currencies_sym)", "$m = range(40, 200, 5)", "$n = range(2, 8)",
   "$p = range(3, 25)"],
  "m - n * p",
  "The tickets cost {n} * {p} = <<{n}*{p}={n*p}>>{n*p}.\nHe has {m} - {n*p} = <<{m}-{n*p}={m-n*p}>>{m-n*p} left.\n#### {m-n*p}",
  cond=["n * p < m"],
  noop="The cinema has {k,8} screens.", noop_init=["$k = range(3, 15)"])
t("money-03", "money",
  "A bakery sells muffins for {cur,$}{p,2} each. On {d,Monday} it sold {a,40} muffins and on the next day it sold {b,15} more than on {d,Monday}. How much money did it make from muffins on the two days?",
  ["cur = sample(currencies_sym)", "d = sample(weekdays[:6])", "$p = range(2, 7)", "$a = range(20, 90)",
   "$b = range(5, 30)"],
  "p * (a + a + b)",
  "On the second day it sold {a} + {b} = <<{a}+{b}={a+b}>>{a+b} muffins.\nOver both days it sold {a} + {a+b} = <<{a}+{a+b}={2*a+b}>>{2*a+b} muffins.\nIt made {2*a+b} * {p} = <<{2*a+b}*{p}={p*(2*a+b)}>>{p*(2*a+b)}.\n#### {p*(2*a+b)}",
  noop="{k,6} of the muffins sold on {d,Monday} were blueberry.", noop_init=["$k = range(2, 10)"])
t("money-04", "money",
  "{name,Mia} earns {cur,$}{w,15} per hour. She works {h,6} hours a day for {d,5} days. She spends {cur,$}{s,120} of her earnings on a jacket. How much of her earnings does she have left?",
  ["name = sample(names_female)", "cur = sample(currencies_sym)", "$w = range(8, 30)", "$h = range(3, 9)",
   "$d = range(2, 7)", "$s = range(20, 200, 10)"],
  "w * h * d - s",
  "She works {h} * {d} = <<{h}*{d}={h*d}>> {h*d} hours.\nShe earns {h*d} * {w} = <<{h*d}*{w}={w*h*d}>>{w*h*d}.\nAfter the jacket she has {w*h*d} - {s} = <<{w*h*d}-{s}={w*h*d-s}>>{w*h*d-s}.\n#### {w*h*d-s}",
  cond=["s < w * h * d"],
  noop="Her shifts start at {k,9} in the morning.", noop_init=["$k = range(7, 11)"])
t("money-05", "money",
  "A pack of {n,6} juice boxes costs {cur,$}{p,9}. {name,Omar} needs {m,30} juice boxes for a party. How much will he pay?",
  ["name = sample(names_male)", "cur = sample(currencies_sym)", "$n = sample([4, 6, 8, 10, 12])",
   "$p = range(3, 20)", "$m = range(12, 121)"],
  "m // n * p",
  "He needs {m} / {n} = <<{m}/{n}={m//n}>>{m//n} packs.\nHe pays {m//n} * {p} = <<{m//n}*{p}={m//n*p}>>{m//n*p}.\n#### {m//n*p}",
  cond=["divides(m, n)"],
  noop="The party starts at {k,4} o'clock.", noop_init=["$k = range(2, 8)"])
t("money-06", "money",
  "{name1,Ella} and {name2,Hugo} share the cost of a gift equally. The gift costs {cur,$}{g,48} and wrapping costs {cur,$}{w,6}. How much does each of them pay?",
  ["name1 = sample(names_female)", "name2 = sample(names_male)", "cur = sample(currencies_sym)",
   "$g = range(10, 200)", "$w = range(2, 15)"],
  "(g + w) // 2",
  "The total cost is {g} + {w} = <<{g}+{w}={g+w}>>{g+w}.\nEach pays {g+w} / 2 = <<{g+w}/2={(g+w)//2}>>{(g+w)//2}.\n#### {(g+w)//2}",
  cond=["divides(g + w, 2)"],
  noop="The shop is {k,3} blocks from their house.", noop_init=["$k = range(2, 12)"])
t("money-07", "money",
  "A farmer sells {a,12} kilograms of apples at {cur,$}{p,3} per kilogram and {b,8} kilograms of pears at {cur,$}{q,4} per kilogram. How much more money does he get for the apples than for the pears?",
  ["cur = sample(currencies_sym)", "$a = range(5, 60)", "$p = range(2, 9)", "$b = range(3, 40)", "$q = range(2, 9)"],
  "a * p - b * q",
  "The apples bring {a} * {p} = <<{a}*{p}={a*p}>>{a*p}.\nThe pears bring {b} * {q} = <<{b}*{q}={b*q}>>{b*q}.\nThe difference is {a*p} - {b*q} = <<{a*p}-{b*q}={a*p-b*q}>>{a*p-b*q}.\n#### {a*p-b*q}",
  cond=["a * p > b * q"],
  noop="Last season the orchard had {k,30} trees.", noop_init=["$k = range(10, 80)"])
t("money-08", "money",
  "{name,Leo} saves {cur,$}{s,7} every week. How many weeks will it take him to save enough for a bike that costs {cur,$}{c,91}?",
  ["name = sample(names_male)", "cur = sample(currencies_sym)", "$s = range(3, 30)", "$c = range(40, 600)"],
  "c // s",
  "He needs {c} / {s} = <<{c}/{s}={c//s}>>{c//s} weeks.\n#### {c//s}",
  cond=["divides(c, s)", "c // s > 2"],
  noop="The bike is {col,red} and has {k,21} gears.", noop_init=["col = sample(colors)", "$k = range(3, 27)"])
t("money-09", "money",
  "A school orders {n,25} calculators at {cur,$}{p,12} each. The supplier gives a discount of {cur,$}{d,40} on the whole order and charges {cur,$}{f,15} for delivery. What is the final bill?",
  ["cur = sample(currencies_sym)", "$n = range(10, 60)", "$p = range(5, 40)", "$d = range(10, 100, 5)",
   "$f = range(5, 30)"],
  "n * p - d + f",
  "Before the discount the calculators cost {n} * {p} = <<{n}*{p}={n*p}>>{n*p}.\nAfter the discount the cost is {n*p} - {d} = <<{n*p}-{d}={n*p-d}>>{n*p-d}.\nWith delivery the bill is {n*p-d} + {f} = <<{n*p-d}+{f}={n*p-d+f}>>{n*p-d+f}.\n#### {n*p-d+f}",
  cond=["d < n * p"],
  noop="The school has {k,14} classrooms.", noop_init=["$k = range(8, 40)"])
t("money-10", "money",
  "{name,Zoe} has {a,3} times as much money as {name2,Max}. Together they have {cur,$}{s,84}. How much money does {name,Zoe} have?",
  ["name = sample(names_female)", "name2 = sample(names_male)", "cur = sample(currencies_sym)", "$a = range(2, 7)",
   "$s = range(20, 400)"],
  "s // (a + 1) * a",
  "Together they have {a} + 1 = <<{a}+1={a+1}>>{a+1} equal parts.\nOne part is {s} / {a+1} = <<{s}/{a+1}={s//(a+1)}>>{s//(a+1)}.\n{name} has {a} * {s//(a+1)} = <<{a}*{s//(a+1)}={s//(a+1)*a}>>{s//(a+1)*a}.\n#### {s//(a+1)*a}",
  cond=["divides(s, a + 1)"],
  noop="{name2,Max} keeps his money in a {col,blue} wallet.", noop_init=["col = sample(colors)"])

# ---------------- percentages ----------------
t("percent-01", "percent",
  "A jacket costs {cur,$}{p,80}. It is on sale for {d,25}% off. What is the sale price?",
  ["cur = sample(currencies_sym)", "$p = range(20, 400, 5)", "$d = sample([5, 10, 15, 20, 25, 30, 40, 50, 60, 75])"],
  "p - p * d / 100",
  "The discount is {p} * {d}/100 = <<{p}*{d}/100={p*d//100}>>{p*d//100}.\nThe sale price is {p} - {p*d//100} = <<{p}-{p*d//100}={p-p*d//100}>>{p-p*d//100}.\n#### {p-p*d//100}",
  cond=["is_int(p * d / 100)"],
  noop="The store also sells {k,12} kinds of hats.", noop_init=["$k = range(3, 30)"])
t("percent-02", "percent",
  "There are {n,40} students in a class and {p,35}% of them walk to school. How many students do not walk to school?",
  ["$n = range(20, 61)", "$p = range(5, 96, 5)"],
  "n - n * p / 100",
  "{p}% of {n} is {n} * {p}/100 = <<{n}*{p}/100={n*p//100}>>{n*p//100} students who walk.\nSo {n} - {n*p//100} = <<{n}-{n*p//100}={n-n*p//100}>>{n-n*p//100} do not walk.\n#### {n-n*p//100}",
  cond=["is_int(n * p / 100)"],
  noop="The school day starts {k,15} minutes earlier on Mondays.", noop_init=["$k = range(5, 30, 5)"])
t("percent-03", "percent",
  "A town had {n,2400} residents. The population grew by {p,15}% this year. How many residents does the town have now?",
  ["$n = range(1000, 20000, 100)", "$p = range(2, 40)"],
  "n + n * p / 100",
  "The growth is {n} * {p}/100 = <<{n}*{p}/100={n*p//100}>>{n*p//100} people.\nThe town now has {n} + {n*p//100} = <<{n}+{n*p//100}={n+n*p//100}>>{n+n*p//100} residents.\n#### {n+n*p//100}",
  cond=["is_int(n * p / 100)"],
  noop="The town has {k,3} libraries.", noop_init=["$k = range(2, 9)"])
t("percent-04", "percent",
  "{name,Ravi} answered {c,18} of {n,24} questions correctly. What percentage of the questions did he answer correctly?",
  ["name = sample(names_male)", "$n = sample([10, 20, 25, 40, 50, 60, 80])", "$c = range(1, 80)"],
  "c * 100 / n",
  "He got {c}/{n} = <<{c}/{n}={c/n}>>{c/n} of the questions right.\nAs a percentage that is {c/n} * 100 = <<{c/n}*100={c*100//n}>>{c*100//n}%.\n#### {c*100//n}",
  cond=["c < n", "is_int(c * 100 / n)"],
  noop="The test took {k,45} minutes.", noop_init=["$k = range(20, 90, 5)"])
t("percent-05", "percent",
  "A phone costs {cur,$}{p,500}. The price first rises by {a,10}% and then the new price drops by {b,20}%. What is the final price?",
  ["cur = sample(currencies_sym)", "$p = range(100, 2000, 50)", "$a = range(5, 50, 5)", "$b = range(5, 50, 5)"],
  "p * (100 + a) / 100 * (100 - b) / 100",
  "After the rise the price is {p} * {100+a}/100 = <<{p}*{100+a}/100={p*(100+a)/100}>>{p*(100+a)/100}.\nAfter the drop it is {p*(100+a)/100} * {100-b}/100 = <<{p*(100+a)/100}*{100-b}/100={p*(100+a)/100*(100-b)/100}>>{p*(100+a)/100*(100-b)/100}.\n#### {p*(100+a)/100*(100-b)/100}",
  cond=["is_int(p * (100 + a) / 100)", "is_int(p * (100 + a) / 100 * (100 - b) / 100)"],
  noop="The phone comes in {k,4} colors.", noop_init=["$k = range(2, 8)"])
t("percent-06", "percent",
  "A tank holds {c,200} liters of water. It is {p,60}% full. How many more liters are needed to fill it?",
  ["$c = range(50, 1000, 10)", "$p = range(5, 96, 5)"],
  "c - c * p / 100",
  "It holds {c} * {p}/100 = <<{c}*{p}/100={c*p//100}>>{c*p//100} liters now.\nIt needs {c} - {c*p//100} = <<{c}-{c*p//100}={c-c*p//100}>>{c-c*p//100} more liters.\n#### {c-c*p//100}",
  cond=["is_int(c * p / 100)"],
  noop="The tank is painted {col,green}.", noop_init=["col = sample(colors)"])
t("percent-07", "percent",
  "{name,Sofia} puts {cur,$}{p,600} in a savings account that pays {r,5}% simple interest per year. How much interest does she earn in {y,3} years?",
  ["name = sample(names_female)", "cur = sample(currencies_sym)", "$p = range(100, 5000, 100)", "$r = range(1, 10)",
   "$y = range(2, 8)"],
  "p * r / 100 * y",
  "Each year she earns {p} * {r}/100 = <<{p}*{r}/100={p*r/100}>>{p*r/100}.\nIn {y} years she earns {p*r/100} * {y} = <<{p*r/100}*{y}={p*r/100*y}>>{p*r/100*y}.\n#### {p*r/100*y}",
  cond=["is_int(p * r / 100 * y)"],
  noop="Her bank is open {k,6} days a week.", noop_init=["$k = range(5, 8)"])
t("percent-08", "percent",
  "In a bag of {n,60} marbles, {p,25}% are red and {q,40}% of the rest are blue. How many marbles are blue?",
  ["$n = range(20, 200, 4)", "$p = range(5, 80, 5)", "$q = range(5, 80, 5)"],
  "(n - n * p / 100) * q / 100",
  "There are {n} * {p}/100 = <<{n}*{p}/100={n*p//100}>>{n*p//100} red marbles.\nThe rest is {n} - {n*p//100} = <<{n}-{n*p//100}={n-n*p//100}>>{n-n*p//100}.\nBlue marbles: {n-n*p//100} * {q}/100 = <<{n-n*p//100}*{q}/100={(n-n*p//100)*q//100}>>{(n-n*p//100)*q//100}.\n#### {(n-n*p//100)*q//100}",
  cond=["is_int(n * p / 100)", "is_int((n - n * p / 100) * q / 100)"],
  noop="The bag weighs {k,2} pounds.", noop_init=["$k = range(1, 6)"])
