"""``from tensorflow.contrib.learn.python.learn import monitored_session``: ``MonitoredSession`` and
its relatives, as graphflow's ``tf.train`` has them."""
from graphflow.tf1.python._view import view

view(__name__, 'train')
