"""A small model with the published S3D MIL-NCE interface and hand-picked weights, so answers are known.

Video features (projected into 512 dims x10, motion x1 since its 1.5M-element mean carries float32 error):
  0, 1, 2  red, green, blue: R - G, G - B and B - R of the mean colour, through a 1x1x1 Conv3D
           (depends on RGB order); weights of 1, -1 and 0 survive INT8 weight quantization exactly
  3, 4     brightening, darkening: mean frame-to-frame change (depends on frame order)
  5        moving: mean absolute frame-to-frame change
Text: lower-cased words looked up in a table inside the graph; each known word is a one-hot on its feature,
unknown words map to a zero row; at most 16 words count, as in S3D.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

VOCAB = ["red", "green", "blue", "brightening", "darkening", "moving"]
COLOUR = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0]], np.float32)
WEIGHTS = np.array([10.0, 10.0, 10.0, 10.0, 10.0, 1.0], np.float32)
MAX_WORDS = 16


def _weights() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    colour = COLOUR.T.reshape(1, 1, 1, 3, 3)
    projection = np.zeros((6, 512), np.float32)
    projection[np.arange(6), np.arange(6)] = WEIGHTS
    table = np.zeros((len(VOCAB) + 1, 512), np.float32)
    table[np.arange(len(VOCAB)), np.arange(len(VOCAB))] = 1.0
    return colour, projection, table


def _video_graph(tf, images, colour_kernel, projection):
    colour = tf.reduce_mean(
        tf.nn.conv3d(images, colour_kernel, strides=[1, 1, 1, 1, 1], padding="VALID"), axis=[1, 2, 3]
    )
    change = tf.reduce_mean(images[:, 1:] - images[:, :-1], axis=4)
    mean_change = tf.reduce_mean(change, axis=[1, 2, 3])
    motion = tf.reduce_mean(tf.abs(change), axis=[1, 2, 3])
    features = tf.concat(
        [colour, tf.stack([tf.nn.relu(mean_change), tf.nn.relu(-mean_change), motion], axis=1)], axis=1
    )
    return tf.matmul(features, projection), tf.pad(features, [[0, 0], [0, 1024 - 6]])


def _text_graph(tf, words, table_lookup, embeddings):
    tokens = tf.strings.split(tf.strings.lower(words)).to_tensor(default_value="")[:, :MAX_WORDS]
    return tf.reduce_sum(tf.gather(embeddings, table_lookup(tokens)), axis=1)


def build_tf1(out: Path, tags: list[str] | None = None, vocab_file: bool = False) -> Path:
    """The published format: a TF1 SavedModel, one meta graph, tag set empty (or `tags`).

    `vocab_file` fills the lookup table from a vocabulary asset instead of constants.
    """
    import tensorflow as tf

    tf1 = tf.compat.v1
    shutil.rmtree(out, ignore_errors=True)
    colour_kernel, projection, table_values = _weights()
    graph = tf1.Graph()
    with graph.as_default():
        images = tf1.placeholder(tf.float32, [None, None, None, None, 3], name="images")
        words = tf1.placeholder(tf.string, [None], name="words")
        proj = tf1.get_variable("video_projection", initializer=projection)
        emb = tf1.get_variable("word_embeddings", initializer=table_values)
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf1.constant(VOCAB), tf1.constant(np.arange(len(VOCAB), dtype=np.int64))
            ),
            default_value=len(VOCAB),
        )
        video_embedding, mixed_5c = _video_graph(tf, images, tf1.constant(colour_kernel), proj)
        text_embedding = _text_graph(tf, words, table.lookup, emb)
        with tf1.Session(graph=graph) as session:
            session.run(tf1.global_variables_initializer())
            builder = tf1.saved_model.Builder(str(out))
            sig = tf1.saved_model.signature_def_utils.predict_signature_def
            builder.add_meta_graph_and_variables(
                session,
                tags=tags or [],
                signature_def_map={
                    "video": sig({"images": images}, {"video_embedding": video_embedding, "mixed_5c": mixed_5c}),
                    "text": sig({"words": words}, {"text_embedding": text_embedding}),
                },
                main_op=tf1.tables_initializer(),
                assets_collection=tf1.get_collection(tf1.GraphKeys.ASSET_FILEPATHS),
            )
            builder.save()
    return out


def build_tf2(out: Path) -> Path:
    """The same model as a TF2 SavedModel (tf.Module with two signatures)."""
    import tensorflow as tf

    shutil.rmtree(out, ignore_errors=True)
    colour_kernel, projection, table_values = _weights()

    class Toy(tf.Module):
        def __init__(self):
            super().__init__()
            self.colour_kernel = tf.constant(colour_kernel)
            self.projection = tf.Variable(projection)
            self.embeddings = tf.Variable(table_values)
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(VOCAB, np.arange(len(VOCAB), dtype=np.int64)),
                default_value=len(VOCAB),
            )

        @tf.function(input_signature=[tf.TensorSpec([None, None, None, None, 3], tf.float32, name="images")])
        def video(self, images):
            video_embedding, mixed_5c = _video_graph(tf, images, self.colour_kernel, self.projection)
            return {"video_embedding": video_embedding, "mixed_5c": mixed_5c}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
        def text(self, words):
            return {"text_embedding": _text_graph(tf, words, self.table.lookup, self.embeddings)}

    toy = Toy()
    tf.saved_model.save(toy, str(out), signatures={"video": toy.video, "text": toy.text})
    return out


def build_without_signatures(out: Path) -> Path:
    """A valid SavedModel whose only signature is unrelated to S3D."""
    import tensorflow as tf

    shutil.rmtree(out, ignore_errors=True)

    class Other(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def double(self, x):
            return {"y": x * 2.0}

    other = Other()
    tf.saved_model.save(other, str(out), signatures={"serving_default": other.double})
    return out


def expected_video(images: np.ndarray) -> np.ndarray:
    """The toy model's video_embedding computed in numpy, for checks independent of TensorFlow."""
    images = images.astype(np.float64)
    colour = images.mean(axis=(1, 2, 3)) @ COLOUR.T.astype(np.float64)
    change = (images[:, 1:] - images[:, :-1]).mean(axis=4)
    mean_change = change.mean(axis=(1, 2, 3))
    motion = np.abs(change).mean(axis=(1, 2, 3))
    features = np.concatenate(
        [colour, np.stack([np.maximum(mean_change, 0), np.maximum(-mean_change, 0), motion], axis=1)], axis=1
    )
    out = np.zeros((len(images), 512))
    out[:, :6] = features * WEIGHTS
    return out.astype(np.float32)


if __name__ == "__main__":
    import os
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python tests/toy_model.py DEST  (writes a toy S3D-interface SavedModel to DEST)")
    from vidx.model.source import native_logs_hidden

    # TensorFlow's start-up and deprecation logs say nothing to someone trying vidx: print only the folder.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_logs_hidden():
        try:
            import tensorflow  # noqa: F401
        except ImportError:
            # A user's install (`pip install .`) leaves TensorFlow out: one line, not a traceback.
            sys.exit("tests/toy_model.py builds the toy model with TensorFlow: pip install '.[convert]' first")
        built = build_tf1(Path(sys.argv[1]))
    print(built)
