"""``tf.saved_model``: TF's SavedModel format, written and read (builder, loader, simple_save,
signature defs, tags), with TF 1.15's top-level aliases (``tf.saved_model.load`` is the v1
``loader.load``)."""
from __future__ import annotations

from graphflow.tf1.saved_model import (
    builder,
    constants,
    loader,
    main_op,
    signature_constants,
    signature_def_utils,
    tag_constants,
    utils,
)
from graphflow.tf1.saved_model.builder import SavedModelBuilder, simple_save
from graphflow.tf1.saved_model.constants import (
    ASSETS_DIRECTORY,
    ASSETS_KEY,
    DEBUG_DIRECTORY,
    DEBUG_INFO_FILENAME_PB,
    LEGACY_INIT_OP_KEY,
    MAIN_OP_KEY,
    SAVED_MODEL_FILENAME_PB,
    SAVED_MODEL_FILENAME_PBTXT,
    SAVED_MODEL_SCHEMA_VERSION,
    VARIABLES_DIRECTORY,
    VARIABLES_FILENAME,
)
from graphflow.tf1.saved_model.loader import load, maybe_saved_model_directory
from graphflow.tf1.saved_model.main_op import main_op_with_restore
from graphflow.tf1.saved_model.signature_constants import (
    CLASSIFY_INPUTS,
    CLASSIFY_METHOD_NAME,
    CLASSIFY_OUTPUT_CLASSES,
    CLASSIFY_OUTPUT_SCORES,
    DEFAULT_SERVING_SIGNATURE_DEF_KEY,
    PREDICT_INPUTS,
    PREDICT_METHOD_NAME,
    PREDICT_OUTPUTS,
    REGRESS_INPUTS,
    REGRESS_METHOD_NAME,
    REGRESS_OUTPUTS,
)
from graphflow.tf1.saved_model.signature_def_utils import (
    build_signature_def,
    classification_signature_def,
    is_valid_signature,
    predict_signature_def,
    regression_signature_def,
)
from graphflow.tf1.saved_model.tag_constants import GPU, SERVING, TPU, TRAINING
from graphflow.tf1.saved_model.utils import build_tensor_info, get_tensor_from_tensor_info

Builder = SavedModelBuilder
contains_saved_model = maybe_saved_model_directory

__all__ = ["ASSETS_DIRECTORY", "ASSETS_KEY", "Builder", "CLASSIFY_INPUTS", "CLASSIFY_METHOD_NAME",
           "CLASSIFY_OUTPUT_CLASSES", "CLASSIFY_OUTPUT_SCORES", "DEBUG_DIRECTORY", "DEBUG_INFO_FILENAME_PB",
           "DEFAULT_SERVING_SIGNATURE_DEF_KEY", "GPU", "LEGACY_INIT_OP_KEY", "MAIN_OP_KEY", "PREDICT_INPUTS",
           "PREDICT_METHOD_NAME", "PREDICT_OUTPUTS", "REGRESS_INPUTS", "REGRESS_METHOD_NAME", "REGRESS_OUTPUTS",
           "SAVED_MODEL_FILENAME_PB", "SAVED_MODEL_FILENAME_PBTXT", "SAVED_MODEL_SCHEMA_VERSION", "SERVING",
           "SavedModelBuilder", "TPU", "TRAINING", "VARIABLES_DIRECTORY", "VARIABLES_FILENAME",
           "build_signature_def", "build_tensor_info", "builder", "classification_signature_def", "constants",
           "contains_saved_model", "get_tensor_from_tensor_info", "is_valid_signature", "load", "loader", "main_op",
           "main_op_with_restore", "maybe_saved_model_directory", "predict_signature_def",
           "regression_signature_def", "signature_constants", "signature_def_utils", "simple_save",
           "tag_constants", "utils"]
