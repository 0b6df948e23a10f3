"""tf.distributions as TF1 tutorials use it: a variational autoencoder's loss (a Normal
posterior sampled with the reparameterization trick, its KL divergence to the standard normal
prior, a Bernoulli likelihood of binary data) and a REINFORCE policy-gradient loss
(``Categorical.log_prob`` of the sampled actions times their rewards) on a 3-armed bandit.

    python examples/distributions_tf1.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf


def vae(steps: int = 300, seed: int = 0, verbose: bool = True) -> dict:
    rng = np.random.RandomState(seed)
    prototypes = (rng.rand(4, 16) > 0.5).astype(np.float32)
    data = prototypes[rng.randint(0, 4, 256)]
    data = np.abs(data - (rng.rand(*data.shape) < 0.05)).astype(np.float32)  # 5% of the bits flipped

    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, 16])
        hidden = tf.layers.dense(x, 32, activation=tf.nn.relu)
        mu = tf.layers.dense(hidden, 2)
        sigma = tf.nn.softplus(tf.layers.dense(hidden, 2)) + 1e-4
        posterior = tf.distributions.Normal(loc=mu, scale=sigma)
        prior = tf.distributions.Normal(loc=tf.zeros_like(mu), scale=tf.ones_like(sigma))
        z = posterior.sample()  # reparameterized: gradients reach mu and sigma
        logits = tf.layers.dense(tf.layers.dense(z, 32, activation=tf.nn.relu), 16)
        likelihood = tf.distributions.Bernoulli(logits=logits)
        reconstruction = tf.reduce_sum(likelihood.log_prob(x), axis=1)
        kl = tf.reduce_sum(tf.distributions.kl_divergence(posterior, prior), axis=1)
        loss = -tf.reduce_mean(reconstruction - kl)  # the negative evidence lower bound
        train = tf.train.AdamOptimizer(0.01).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = np.mean([sess.run(loss, {x: data}) for _ in range(5)])
            for i in range(steps):
                _, value = sess.run([train, loss], {x: data})
                if verbose and i % 100 == 0:
                    print(f"vae step {i}: loss {value:.3f}")
            last = np.mean([sess.run(loss, {x: data}) for _ in range(5)])
    return {"initial_loss": float(first), "final_loss": float(last)}


def bandit(steps: int = 300, seed: int = 0, verbose: bool = True) -> dict:
    payout = np.array([0.2, 0.5, 0.8], np.float32)
    rng = np.random.RandomState(seed)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        preferences = tf.Variable(tf.zeros([3]))
        policy = tf.distributions.Categorical(logits=preferences)
        actions = policy.sample(64)
        taken = tf.placeholder(tf.int32, [None])
        rewards = tf.placeholder(tf.float32, [None])
        loss = -tf.reduce_mean(policy.log_prob(taken) * (rewards - tf.reduce_mean(rewards)))
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for i in range(steps):
                a = sess.run(actions)
                r = (rng.rand(a.size) < payout[a]).astype(np.float32)
                sess.run(train, {taken: a, rewards: r})
                if verbose and i % 100 == 0:
                    print(f"bandit step {i}: mean reward {r.mean():.2f}")
            probs = sess.run(policy.probs)
    return {"probs": probs.tolist()}


def main(steps: int = 300, verbose: bool = True) -> dict:
    return {"vae": vae(steps, verbose=verbose), "bandit": bandit(steps, verbose=verbose)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    print(main(parser.parse_args().steps))
