"""A tiny causal language model for tests: a byte-level BPE tokenizer trained here on a few lines of maths and
code, with a chat template, and a two-layer GPT-2 with random weights, saved as a local Hugging Face folder.
It exercises the mechanics of the ``hf`` backend (templates, batching, stop strings, seeds), not accuracy."""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "What is 6 times 7? Let us compute it with code.",
    "```python\nx = 6 * 7\nprint(x)\n```\n```output\n42\n```\nThe answer is \\boxed{42}.",
    "Sub-task 1: compute the product. Verification: True",
    "import sympy as sp\nsolve(Eq(x**2, 4), x)\nfrom fractions import Fraction",
    "The quick brown fox jumps over the lazy dog 0123456789 + - * / = ( ) [ ] { } < > | _ : ; , .",
]
SPECIALS = ["<|end|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build(folder: Path, *, vocab_size: int = 400, layers: int = 2, width: int = 32,
          arch: str = "gpt2") -> Path:
    """The model folder; ``arch="llama"`` makes a Llama (grouped-query attention, ``nn.Linear`` layers, rotary
    positions) with the same tokenizer instead of a GPT-2."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GPT2Config,
        GPT2LMHeadModel,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(CORPUS * 4, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|end|>", pad_token="<|pad|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    if arch == "llama":
        llama = LlamaConfig(vocab_size=len(tokenizer), hidden_size=width, intermediate_size=2 * width,
                            num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                            max_position_embeddings=4096, eos_token_id=tokenizer.eos_token_id,
                            bos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
        LlamaForCausalLM(llama).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        return folder
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=4096, n_embd=width, n_layer=layers, n_head=2,
                        eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id)
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
