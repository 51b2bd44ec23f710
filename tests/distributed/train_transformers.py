"""One rank of a Hugging Face ``Trainer`` job under torchrun (CPU, gloo) with the cellflux callback.

Usage: ``train_transformers.py OUT_DIR``. A tiny BERT trains for 6 steps on
generated tokens, logging every 2; the rank then writes to OUT_DIR/rank<R>.json
what cellflux holds of its identity and whether its display is on.
"""

from __future__ import annotations

import json
import os
import sys

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

import cellflux as cf
from cellflux import config
from cellflux.integrations.transformers import CellfluxCallback


class Tokens(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    def __init__(self, n: int) -> None:
        self.ids = torch.randint(0, 32, (n, 8), generator=torch.Generator().manual_seed(n))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": (self.ids[i, 0] >= 16).long()}


def main() -> None:
    out = sys.argv[1]
    model = BertForSequenceClassification(BertConfig(
        vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=16, num_labels=2))
    args = TrainingArguments(output_dir=out, max_steps=6, per_device_train_batch_size=8, logging_steps=2,
                             save_strategy="no", use_cpu=True, report_to=[], ddp_backend="gloo")
    Trainer(model=model, args=args, train_dataset=Tokens(96), callbacks=[CellfluxCallback()]).train()
    me = cf.process_identity()
    with open(os.path.join(out, f"rank{args.process_index}.json"), "w", encoding="utf-8") as file:
        json.dump({"rank": me.rank, "world_size": me.world_size, "job": me.job,
                   "display": config.display_enabled()}, file)


if __name__ == "__main__":
    main()
