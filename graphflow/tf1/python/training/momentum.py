"""``from tensorflow.python.training import momentum``: ``momentum.MomentumOptimizer``."""
from graphflow.tf1.python._view import view

view(__name__, 'train')
