"""``gf.optim``: PyTorch's optimizers (update rules and defaults) on the static graph.

``opt.minimize(loss)`` (alias ``opt.step(loss)``) builds the op that computes the gradients of
``loss`` for the optimizer's parameters and applies one update when run. The learning rate is a
value the Session feeds on every run, so ``lr_scheduler`` changes it without recompiling.
"""
from graphflow.torch_style.optim import lr_scheduler
from graphflow.torch_style.optim.optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
