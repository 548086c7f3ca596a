"""P1-style variants: the base problem with one more clause that changes the answer."""
from build_templates_part1 import t


def p1(base, topic, q, init, ans, sol, cond=()):
    t(f"{base}-p1", topic, q, init, ans, sol, cond=cond)
    from build_templates_part1 import T
    T[-1]["variant"], T[-1]["variant_of"] = "p1", base


p1("money-02", "money",
   "{name,Liam} has {cur,$}{m,50}. He buys {n,3} tickets that cost {cur,$}{p,12} each and a drink for {cur,$}{dr,4}. How much money does he have left?",
   ["name = sample(names_male)", "cur = sample(currencies_sym)", "$m = range(40, 200, 5)", "$n = range(2, 8)",
    "$p = range(3, 25)", "$dr = range(2, 9)"],
   "m - n * p - dr",
   "The tickets cost {n} * {p} = <<{n}*{p}={n*p}>>{n*p}.\nWith the drink he spends {n*p} + {dr} = <<{n*p}+{dr}={n*p+dr}>>{n*p+dr}.\nHe has {m} - {n*p+dr} = <<{m}-{n*p+dr}={m-n*p-dr}>>{m-n*p-dr} left.\n#### {m-n*p-dr}",
   cond=["n * p + dr < m"])
p1("percent-01", "percent",
   "A jacket costs {cur,$}{p,80}. It is on sale for {d,25}% off, and a member card takes {cur,$}{c,5} off the sale price. What does a member pay?",
   ["cur = sample(currencies_sym)", "$p = range(20, 400, 5)", "$d = sample([5, 10, 15, 20, 25, 30, 40, 50, 60, 75])",
    "$c = range(2, 20)"],
   "p - p * d / 100 - c",
   "The discount is {p} * {d}/100 = <<{p}*{d}/100={p*d//100}>>{p*d//100}, so the sale price is {p} - {p*d//100} = <<{p}-{p*d//100}={p-p*d//100}>>{p-p*d//100}.\nA member pays {p-p*d//100} - {c} = <<{p-p*d//100}-{c}={p-p*d//100-c}>>{p-p*d//100-c}.\n#### {p-p*d//100-c}",
   cond=["is_int(p * d / 100)", "c < p - p * d / 100"])
p1("fraction-01", "fraction",
   "{name,Grace} baked {n,24} cookies. She gave {f,1/3} of them to her neighbors and ate {e,2} herself. How many cookies does she have left?",
   ["name = sample(names_female)", "$n = range(6, 120)", "$f = sample(fractions)", "$e = range(1, 6)"],
   "n - n * f - e",
   "She gave away {n} * {f} = <<{n}*{f}={n*f}>>{n*f} cookies.\nShe has {n} - {n*f} - {e} = <<{n}-{n*f}-{e}={n-n*f-e}>>{n-n*f-e} left.\n#### {n-n*f-e}",
   cond=["is_int(n * f)", "e < n - n * f"])
p1("rate-01", "rate",
   "A car travels at {v,60} kilometers per hour for {h,3} hours, stops, and then travels at {w,80} kilometers per hour for {g,2} hours. It then drives back {b,30} kilometers to a gas station. How far has it traveled in total?",
   ["$v = range(30, 120, 5)", "$h = range(1, 8)", "$w = range(30, 120, 5)", "$g = range(1, 8)", "$b = range(5, 60)"],
   "v * h + w * g + b",
   "First part: {v} * {h} = <<{v}*{h}={v*h}>>{v*h} km. Second part: {w} * {g} = <<{w}*{g}={w*g}>>{w*g} km.\nTotal: {v*h} + {w*g} + {b} = <<{v*h}+{w*g}+{b}={v*h+w*g+b}>>{v*h+w*g+b} km.\n#### {v*h+w*g+b}")
p1("time-04", "time",
   "A baker needs {a,25} minutes to prepare dough and {b,40} minutes to bake each tray. The oven holds one tray at a time and needs {c,10} minutes to heat up first. How many minutes does it take to prepare the dough once and bake {n,3} trays, if the oven heats while the dough is prepared?",
   ["$a = range(10, 60, 5)", "$b = range(15, 60, 5)", "$n = range(2, 8)", "$c = range(5, 40, 5)"],
   "max(a, c) + n * b",
   "Dough and heating overlap, taking max({a}, {c}) = {max(a, c)} minutes.\nBaking takes {n} * {b} = <<{n}*{b}={n*b}>>{n*b} minutes, so in all {max(a, c)} + {n*b} = <<{max(a, c)}+{n*b}={max(a, c)+n*b}>>{max(a, c)+n*b}.\n#### {max(a, c)+n*b}")
p1("multi-01", "multi-step",
   "{name,Noah} collects {a,12} stamps a week for {w,6} weeks. He then gives {g,20} stamps to his sister, loses {l,4}, and buys {b,15} more. How many stamps does he have?",
   ["name = sample(names_male)", "$a = range(3, 40)", "$w = range(2, 12)", "$g = range(5, 60)", "$b = range(3, 50)",
    "$l = range(1, 10)"],
   "a * w - g - l + b",
   "He collects {a} * {w} = <<{a}*{w}={a*w}>>{a*w} stamps.\nAfter giving and losing some he has {a*w} - {g} - {l} = <<{a*w}-{g}-{l}={a*w-g-l}>>{a*w-g-l}.\nAfter buying more he has {a*w-g-l} + {b} = <<{a*w-g-l}+{b}={a*w-g-l+b}>>{a*w-g-l+b}.\n#### {a*w-g-l+b}",
   cond=["g + l < a * w"])
p1("multi-09", "multi-step",
   "A water tank has {n,500} liters. Every day {u,35} liters are used and {r,10} liters of rain are collected. On the last day a leak wastes another {k,20} liters. How many liters are left after {d,8} days?",
   ["$n = range(100, 3000, 10)", "$u = range(10, 100)", "$r = range(1, 40)", "$d = range(2, 20)", "$k = range(5, 50)"],
   "n - (u - r) * d - k",
   "Each day the tank loses {u} - {r} = <<{u}-{r}={u-r}>>{u-r} liters, {(u-r)*d} in {d} days.\nWith the leak it loses {(u-r)*d} + {k} = <<{(u-r)*d}+{k}={(u-r)*d+k}>>{(u-r)*d+k}, leaving {n} - {(u-r)*d+k} = <<{n}-{(u-r)*d+k}={n-(u-r)*d-k}>>{n-(u-r)*d-k}.\n#### {n-(u-r)*d-k}",
   cond=["r < u", "(u - r) * d + k < n"])
p1("geometry-01", "geometry",
   "A rectangular garden is {l,12} meters long and {w,8} meters wide. A fence costs {cur,$}{p,5} per meter, and a gate adds {cur,$}{gt,40}. How much does it cost to fence the garden with one gate?",
   ["cur = sample(currencies_sym)", "$l = range(4, 60)", "$w = range(3, 40)", "$p = range(2, 30)", "$gt = range(20, 150, 5)"],
   "2 * (l + w) * p + gt",
   "The perimeter is 2 * ({l} + {w}) = <<2*({l}+{w})={2*(l+w)}>>{2*(l+w)} meters, costing {2*(l+w)} * {p} = <<{2*(l+w)}*{p}={2*(l+w)*p}>>{2*(l+w)*p}.\nWith the gate: {2*(l+w)*p} + {gt} = <<{2*(l+w)*p}+{gt}={2*(l+w)*p+gt}>>{2*(l+w)*p+gt}.\n#### {2*(l+w)*p+gt}",
   cond=["w < l"])


def p2(base, topic, q, init, ans, sol, cond=()):
    t(f"{base}-p2", topic, q, init, ans, sol, cond=cond)
    from build_templates_part1 import T
    T[-1]["variant"], T[-1]["variant_of"] = "p2", base


# P2-style variants: two more clauses (steps or seemingly relevant details).
p2("money-02", "money",
   "{name,Liam} has {cur,$}{m,50}. He buys {n,3} tickets that cost {cur,$}{p,12} each and a drink for {cur,$}{dr,4}. His friend pays him back {cur,$}{r,6} for one of the drinks he bought earlier. How much money does he have now?",
   ["name = sample(names_male)", "cur = sample(currencies_sym)", "$m = range(40, 200, 5)", "$n = range(2, 8)",
    "$p = range(3, 25)", "$dr = range(2, 9)", "$r = range(2, 12)"],
   "m - n * p - dr + r",
   "The tickets cost {n} * {p} = <<{n}*{p}={n*p}>>{n*p}; with the drink he spends {n*p} + {dr} = <<{n*p}+{dr}={n*p+dr}>>{n*p+dr}.\nHe has {m} - {n*p+dr} = <<{m}-{n*p+dr}={m-n*p-dr}>>{m-n*p-dr} left, then {m-n*p-dr} + {r} = <<{m-n*p-dr}+{r}={m-n*p-dr+r}>>{m-n*p-dr+r} after being paid back.\n#### {m-n*p-dr+r}",
   cond=["n * p + dr < m"])
p2("percent-02", "percent",
   "There are {n,40} students in a class and {p,35}% of them walk to school. Of the others, {q,50}% take the bus and the rest are driven. {k,2} of the students who are driven also have a bike at school. How many students are driven to school?",
   ["$n = range(20, 61)", "$p = range(5, 96, 5)", "$q = range(10, 91, 10)", "$k = range(1, 4)"],
   "(n - n * p / 100) - (n - n * p / 100) * q / 100",
   "{n} * {p}/100 = <<{n}*{p}/100={n*p//100}>>{n*p//100} walk, so {n} - {n*p//100} = <<{n}-{n*p//100}={n-n*p//100}>>{n-n*p//100} do not.\nOf those, {n-n*p//100} * {q}/100 = <<{n-n*p//100}*{q}/100={(n-n*p//100)*q//100}>>{(n-n*p//100)*q//100} take the bus, so {n-n*p//100} - {(n-n*p//100)*q//100} = <<{n-n*p//100}-{(n-n*p//100)*q//100}={(n-n*p//100)-(n-n*p//100)*q//100}>>{(n-n*p//100)-(n-n*p//100)*q//100} are driven.\n#### {(n-n*p//100)-(n-n*p//100)*q//100}",
   cond=["is_int(n * p / 100)", "is_int((n - n * p / 100) * q / 100)", "(n - n * p / 100) * (100 - q) / 100 > k"])
p2("rate-05", "rate",
   "A cyclist rides {d,45} kilometers in {h,3} hours. At the same speed, she rides for {g,5} hours on Saturday, and on Sunday she rides {e,2} hours less than on Saturday. How many kilometers does she ride over the weekend?",
   ["$h = range(2, 7)", "$d = range(10, 200)", "$g = range(3, 12)", "$e = range(1, 3)"],
   "d / h * (g + g - e)",
   "Her speed is {d} / {h} = <<{d}/{h}={d//h}>>{d//h} km per hour.\nShe rides {g} + ({g} - {e}) = <<{g}+{g}-{e}={2*g-e}>>{2*g-e} hours, so {d//h} * {2*g-e} = <<{d//h}*{2*g-e}={d//h*(2*g-e)}>>{d//h*(2*g-e)} km.\n#### {d//h*(2*g-e)}",
   cond=["divides(d, h)", "e < g"])
p2("multi-06", "multi-step",
   "{name,Yusuf} runs {a,3} kilometers on weekdays and {b,8} kilometers on Saturdays. He rests on Sundays. In the last week he is ill for {s,2} weekdays and does not run on those days. How many kilometers does he run in {w,4} weeks?",
   ["name = sample(names_male)", "$a = range(1, 15)", "$b = range(2, 30)", "$w = range(2, 12)", "$s = range(1, 5)"],
   "(5 * a + b) * w - s * a",
   "Each week he runs 5 * {a} + {b} = <<5*{a}+{b}={5*a+b}>>{5*a+b} km, {(5*a+b)*w} km in {w} weeks.\nBeing ill costs {s} * {a} = <<{s}*{a}={s*a}>>{s*a} km, so he runs {(5*a+b)*w} - {s*a} = <<{(5*a+b)*w}-{s*a}={(5*a+b)*w-s*a}>>{(5*a+b)*w-s*a} km.\n#### {(5*a+b)*w-s*a}")
p2("geometry-03", "geometry",
   "A box is {a,10} cm long, {b,6} cm wide and {c,5} cm tall. {n,3} such boxes are filled with 1-cm cubes, and then {k,20} cubes are taken out of each box. How many cubes are left in the boxes?",
   ["$a = range(2, 30)", "$b = range(2, 20)", "$c = range(2, 15)", "$n = range(2, 9)", "$k = range(5, 60)"],
   "(a * b * c - k) * n",
   "One box holds {a} * {b} * {c} = <<{a}*{b}*{c}={a*b*c}>>{a*b*c} cubes, {a*b*c} - {k} = <<{a*b*c}-{k}={a*b*c-k}>>{a*b*c-k} after some are taken out.\n{n} boxes hold {a*b*c-k} * {n} = <<{a*b*c-k}*{n}={(a*b*c-k)*n}>>{(a*b*c-k)*n} cubes.\n#### {(a*b*c-k)*n}",
   cond=["k < a * b * c"])
