"""Write a tiny Llama checkpoint as a GGUF file, the way llama.cpp's converter lays it out.

The model and its byte-level BPE tokenizer are built locally (nexgym.training.tiny), so the
GGUF path of ``nexgym models prepare`` is tested without any downloaded file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

#: llama.cpp's names for the tensors of one Llama block (HF name -> GGUF name).
BLOCK_TENSORS = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def _permute(weight: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's rotary layout of q/k rows (transformers undoes it on load)."""
    rows = weight.shape[0]
    return (
        weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def _vocabulary(tokenizer: Any) -> tuple[list[str], list[int], list[str]]:
    """Tokens by id, their GGUF token types, and the BPE merges."""
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    by_id = {index: token for token, index in state["model"]["vocab"].items()}
    types = {index: 1 for index in by_id}  # 1: normal
    for added in state["added_tokens"]:
        by_id[added["id"]] = added["content"]
        types[added["id"]] = 3 if added["special"] else 4  # 3: control, 4: user-defined
    tokens = [by_id[i] for i in range(len(by_id))]
    merges = [m if isinstance(m, str) else " ".join(m) for m in state["model"]["merges"]]
    return tokens, [types[i] for i in range(len(tokens))], merges


def write_tiny_gguf(
    path: Path, tokenizer: Any, model: Any, *, raw_type: Any = None, raw_tensor: str = ""
) -> Path:
    """Write ``model`` (a tiny LlamaForCausalLM) and ``tokenizer`` as a GGUF file.

    ``raw_type`` with ``raw_tensor`` stores that one tensor as zero bytes of another GGML
    type (to test quantizations the loader cannot read).
    """
    import gguf

    config = model.config
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-llama")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_rope_dimension_count(config.hidden_size // heads)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(10000.0)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    tokens, types, merges = _vocabulary(tokenizer)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokenizer.pad_token_id)
    writer.add_eos_token_id(tokenizer.eos_token_id)
    writer.add_pad_token_id(tokenizer.pad_token_id)
    writer.add_chat_template(tokenizer.chat_template)
    weights = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    tensors = {
        "token_embd.weight": weights["model.embed_tokens.weight"],
        "output_norm.weight": weights["model.norm.weight"],
    }
    for layer in range(config.num_hidden_layers):
        for hf_name, gguf_name in BLOCK_TENSORS.items():
            value = weights[f"model.layers.{layer}.{hf_name}"]
            if gguf_name == "attn_q.weight":
                value = _permute(value, heads)
            elif gguf_name == "attn_k.weight":
                value = _permute(value, kv_heads)
            tensors[f"blk.{layer}.{gguf_name}"] = value
    for name, value in tensors.items():
        if name == raw_tensor and raw_type is not None:
            block, size = gguf.GGML_QUANT_SIZES[raw_type]
            row_bytes = value.shape[-1] // block * size
            raw = np.zeros((*value.shape[:-1], row_bytes), dtype=np.uint8)
            writer.add_tensor(name, raw, raw_dtype=raw_type)
        else:
            writer.add_tensor(name, np.ascontiguousarray(value, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
