"""``tf.contrib.learn.preprocessing`` (TF 1.15): text vocabulary processing."""
from graphflow.tf1.contrib.learn.preprocessing.text import CategoricalVocabulary, VocabularyProcessor, tokenizer

__all__ = ["CategoricalVocabulary", "VocabularyProcessor", "tokenizer"]
