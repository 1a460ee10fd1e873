"""A full-size S3D-G MIL-NCE look-alike with random weights, for timing vidx on a model of the real cost.

The video tower follows S3D-G (Xie et al. 2018) as used by MIL-NCE (Miech et al. 2020): separable 3D convs,
inception blocks with the I3D channel counts and self-gating on every branch, batch norm folded into conv biases.
The text tower is a small stand-in with the same interface. Saved as a TF1 SavedModel like the TF-Hub original.
"""

from __future__ import annotations

import itertools
import shutil
import sys
from pathlib import Path

import numpy as np

FRAMES, SIZE = 32, 224
MAX_WORDS = 16
LAYERS, PROJECTION = "normalised_layers", "projection"
# (branch0, branch1 reduce, branch1, branch2 reduce, branch2, branch3) per inception block, as in I3D and S3D-G.
BLOCKS = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}
COMMON = (
    "a an the and with of in on at to man woman person people child dog cat horse car bike ball water fire "
    "food kitchen cook cut chop mix pour add bake fry boil egg bread cake salt oil pan knife hand tree "
    "road street house room table door window music dance play run walk jump swim drive ride fish bird"
).split()


def _vocab(size: int = 1000) -> list[str]:
    """Common words, then made-up consonant-vowel-consonant words up to `size`: text only needs to convert."""
    made_up = ("".join(p) for p in itertools.product("bdfgklmnprstvz", "aeiou", "bdfgklmnprstvz"))
    return (COMMON + [w for w in made_up if w not in COMMON])[:size]


def _conv(tf, x, name: str, out: int, kernel: tuple[int, int, int], stride=(1, 1, 1)):
    """Conv3D + bias (a folded batch norm) + ReLU; the layer is recorded for `_normalise`."""
    tf1 = tf.compat.v1
    with tf1.variable_scope(name):
        w = tf1.get_variable("weights", [*kernel, x.shape[-1], out], initializer=tf1.initializers.he_normal())
        b = tf1.get_variable("biases", [out], initializer=tf1.initializers.zeros())
        pre = tf.nn.conv3d(x, w, [1, *stride, 1], "SAME") + b
        tf1.add_to_collection(LAYERS, (w, b, tf.nn.moments(pre, axes=[0, 1, 2, 3])[1]))
        return tf.nn.relu(pre)


def _sep_conv(tf, x, name: str, out: int, k: int, stride: int = 1):
    """S3D's separable conv: (1,k,k) spatial then (k,1,1) temporal, each with its own ReLU."""
    x = _conv(tf, x, f"{name}/spatial", out, (1, k, k), (1, stride, stride))
    return _conv(tf, x, f"{name}/temporal", out, (k, 1, 1), (stride, 1, 1))


def _gate(tf, x, name: str):
    """S3D-G feature gating: sigmoid(W . mean over T,H,W + b) scales each channel of x."""
    tf1 = tf.compat.v1
    c = x.shape[-1]
    with tf1.variable_scope(f"{name}/self_gating"):
        w = tf1.get_variable("weights", [c, c], initializer=tf1.initializers.random_normal(stddev=0.01))
        # Gates start mostly open (sigmoid(3) = 0.95): at 0.5 each, ten gates would shrink activations 1000x.
        b = tf1.get_variable("biases", [c], initializer=tf1.initializers.constant(3.0))
    gate = tf.sigmoid(tf.matmul(tf.reduce_mean(x, axis=[1, 2, 3]), w) + b)
    # Broadcast rather than tile as slim does: T, H and W are dynamic here.
    return x * gate[:, None, None, None, :]


def _pool(tf, x, kernel: tuple[int, int, int], stride: tuple[int, int, int]):
    return tf.nn.max_pool3d(x, [1, *kernel, 1], [1, *stride, 1], "SAME")


def _inception(tf, x, name: str, widths: tuple[int, ...]):
    """Four branches (1x1, 1x1->sep3, 1x1->sep3, pool->1x1), each gated as in slim's s3dg, concatenated."""
    b0, b1a, b1, b2a, b2, b3 = widths
    scope = f"{name}/Branch_"
    branches = [
        _conv(tf, x, f"{scope}0/Conv3d_0a_1x1", b0, (1, 1, 1)),
        _sep_conv(tf, _conv(tf, x, f"{scope}1/Conv3d_0a_1x1", b1a, (1, 1, 1)), f"{scope}1/Conv3d_0b_3x3", b1, 3),
        _sep_conv(tf, _conv(tf, x, f"{scope}2/Conv3d_0a_1x1", b2a, (1, 1, 1)), f"{scope}2/Conv3d_0b_3x3", b2, 3),
        _conv(tf, _pool(tf, x, (3, 3, 3), (1, 1, 1)), f"{scope}3/Conv3d_0b_1x1", b3, (1, 1, 1)),
    ]
    return tf.concat([_gate(tf, br, f"{scope}{i}") for i, br in enumerate(branches)], axis=-1)


def _video(tf, images):
    """S3D-G on NDHWC clips in [0, 1]; returns (video_embedding [B,512], mixed_5c [B,1024])."""
    tf1 = tf.compat.v1
    with tf1.variable_scope("video"):
        # The real stem is a 7x7x7 conv, stride 2 in time and space; here it is separable like every other conv.
        x = _sep_conv(tf, images, "Conv3d_1a_7x7", 64, 7, stride=2)
        x = _pool(tf, x, (1, 3, 3), (1, 2, 2))
        x = _conv(tf, x, "Conv3d_2b_1x1", 64, (1, 1, 1))
        x = _gate(tf, _sep_conv(tf, x, "Conv3d_2c_3x3", 192, 3), "Conv3d_2c_3x3")
        x = _pool(tf, x, (1, 3, 3), (1, 2, 2))
        for name, widths in BLOCKS.items():
            if name == "Mixed_4b":
                x = _pool(tf, x, (3, 3, 3), (2, 2, 2))
            elif name == "Mixed_5b":
                x = _pool(tf, x, (2, 2, 2), (2, 2, 2))
            x = _inception(tf, x, name, widths)
        mixed_5c = tf.reduce_mean(x, axis=[1, 2, 3])
        w = tf1.get_variable("embedding/weights", [1024, 512], initializer=tf1.initializers.glorot_normal())
        b = tf1.get_variable("embedding/biases", [512], initializer=tf1.initializers.zeros())
        tf1.add_to_collection(PROJECTION, w)
        tf1.add_to_collection(PROJECTION, b)
        return tf.matmul(mixed_5c, w) + b, mixed_5c


def _text(tf, words, vocab: list[str]):
    """Lower-case, split, look up at most 16 words, 300 -> 2048 ReLU, max over words, 2048 -> 512."""
    tf1 = tf.compat.v1
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf1.constant(vocab), tf1.constant(np.arange(len(vocab), dtype=np.int64))),
        default_value=len(vocab),
    )
    with tf1.variable_scope("text"):
        rows = tf1.get_variable("word_embeddings", [len(vocab), 300], initializer=tf1.initializers.random_normal())
        # Unknown words and padding map to the last row, which is zero.
        emb = tf.concat([rows, tf.zeros([1, 300])], axis=0)
        w1 = tf1.get_variable("fc1/weights", [300, 2048], initializer=tf1.initializers.he_normal())
        b1 = tf1.get_variable("fc1/biases", [2048], initializer=tf1.initializers.zeros())
        w2 = tf1.get_variable("fc2/weights", [2048, 512], initializer=tf1.initializers.glorot_normal())
        b2 = tf1.get_variable("fc2/biases", [512], initializer=tf1.initializers.zeros())
    tokens = tf.strings.split(tf.strings.lower(words)).to_tensor(default_value="")[:, :MAX_WORDS]
    hidden = tf.nn.relu(tf.tensordot(tf.gather(emb, table.lookup(tokens)), w1, axes=1) + b1)
    return tf.matmul(tf.reduce_max(hidden, axis=1), w2) + b2


def video_gflops() -> float:
    """FLOPs of one 32x224x224 clip, counted as 2 x multiply-adds of every Conv3D and MatMul (no bias/ReLU/pool)."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        _video(tf, tf.compat.v1.placeholder(tf.float32, [1, FRAMES, SIZE, SIZE, 3]))
    macs = 0
    for op in graph.get_operations():
        if op.type == "Conv3D":
            kt, kh, kw, cin, _ = op.inputs[1].shape.as_list()
            macs += int(np.prod(op.outputs[0].shape.as_list())) * kt * kh * kw * cin
        elif op.type == "MatMul":
            rows, inner = op.inputs[0].shape.as_list()
            macs += rows * inner * op.outputs[0].shape.as_list()[1]
    return 2 * macs / 1e9


def _normalise(tf, session, images, mixed_5c, clips: np.ndarray) -> None:
    """Data-dependent init (LSUV, Mishkin and Matas 2016): scale each conv so its output has unit variance on `clips`.

    Without it, and without centring the projection on the clips, every clip embeds alike (cosine 0.999 between
    any two), which hides quantization error. Centring every conv as well, as a trained batch norm might, made the
    random net chaotic (bf16 alone fell to 0.95 cosine to FP32), less like a trained one, so only the scale is set.
    """
    feed = {images: clips}
    layers = tf.compat.v1.get_collection(LAYERS)
    variances = [var for _, _, var in layers]
    weights = [v for w, b, _ in layers for v in (w, b)]
    values = session.run(weights)
    # Every step fetches every variance and loads every weight (through the initializers, as Variable.load does),
    # so TensorFlow prepares two runs in all, not four a layer: a new set of fetches costs it about 65 ms.
    loads = [v.initializer for v in weights]
    # In graph order, so each layer is measured after the layers before it were set.
    for i in range(len(layers)):
        scale = 1 / np.sqrt(session.run(variances, feed)[i] + 1e-5)
        values[2 * i] *= scale
        values[2 * i + 1] *= scale
        session.run(loads, {v.initializer.inputs[1]: value for v, value in zip(weights, values, strict=True)})
    w, b = tf.compat.v1.get_collection(PROJECTION)
    b.load(-session.run(mixed_5c, feed).mean(axis=0) @ session.run(w), session)
    # The SavedModel cannot store these collections' tuples, and nothing needs them once loaded.
    for name in (LAYERS, PROJECTION):
        session.graph.clear_collection(name)


def build(out: Path, clips: np.ndarray, seed: int = 0) -> Path:
    """Build the model with random weights drawn from `seed`, normalised on `clips` ([N, 32, H, W, 3] in [0, 1]),
    and save it as a TF1 SavedModel at `out`."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    shutil.rmtree(out, ignore_errors=True)
    graph = tf1.Graph()
    with graph.as_default():
        # A graph-level seed makes every initializer's draw, hence the weights, repeat for a given seed.
        tf1.set_random_seed(seed)
        images = tf1.placeholder(tf.float32, [None, None, None, None, 3], name="images")
        words = tf1.placeholder(tf.string, [None], name="words")
        video_embedding, mixed_5c = _video(tf, images)
        text_embedding = _text(tf, words, _vocab())
        video_embedding = tf.identity(video_embedding, name="video_embedding")
        mixed_5c = tf.identity(mixed_5c, name="mixed_5c")
        text_embedding = tf.identity(text_embedding, name="text_embedding")
        with tf1.Session(graph=graph) as session:
            session.run(tf1.global_variables_initializer())
            _normalise(tf, session, images, mixed_5c, clips)
            builder = tf1.saved_model.Builder(str(out))
            sig = tf1.saved_model.signature_def_utils.predict_signature_def
            builder.add_meta_graph_and_variables(
                session,
                tags=[],
                signature_def_map={
                    "video": sig({"images": images}, {"video_embedding": video_embedding, "mixed_5c": mixed_5c}),
                    "text": sig({"words": words}, {"text_embedding": text_embedding}),
                },
                main_op=tf1.tables_initializer(),
            )
            builder.save()
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/s3d_model.py DEST  (writes a random-weight S3D-G SavedModel to DEST)")
    import inputs

    print(build(Path(sys.argv[1]), inputs.quantize_split()[0][: inputs.INIT_CLIPS]))
    print(f"{video_gflops():.1f} GFLOPs per {FRAMES}x{SIZE}x{SIZE} clip (2 x multiply-adds)")
