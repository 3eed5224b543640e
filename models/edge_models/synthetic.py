"""Seeded synthetic IMU windows with physically plausible values (training AND calibration).

Channels ax ay az [m/s^2], gx gy gz [rad/s], mx my mz [uT] at 100 Hz, windows of 100 samples.
Each window: a random device orientation (upright with small tilt, or lying on a side for
`lie`), gravity 9.81 m/s^2 rotated into the device frame (on +az when upright), an earth
magnetic field of 25-65 uT with a random inclination and heading rotated the same way, plus
activity-specific motion (gait harmonics, shaking, jump impacts, turning) and sensor noise.
Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np

G = 9.81
ACTIVITIES: tuple[str, ...] = ("still", "lie", "walk", "trot", "run", "shake", "jump", "turn")

# per activity: (step frequency range Hz, accel amplitude range m/s^2, gyro amplitude rad/s)
_MOTION = {
    "still": ((0.0, 0.0), (0.0, 0.05), 0.01),
    "lie": ((0.1, 0.3), (0.0, 0.1), 0.02),
    "walk": ((1.5, 2.2), (1.0, 3.0), 0.6),
    "trot": ((2.5, 3.5), (3.0, 6.0), 1.2),
    "run": ((3.0, 4.5), (6.0, 12.0), 2.5),
    "shake": ((4.0, 8.0), (8.0, 20.0), 8.0),
    "jump": ((0.8, 1.5), (2.0, 4.0), 1.0),
    "turn": ((0.2, 0.5), (0.2, 1.0), 1.5),
}


def _rotation(rng: np.random.Generator, n: int, max_tilt: np.ndarray) -> np.ndarray:
    """n rotation matrices: random heading, tilt up to max_tilt (radians) per window."""
    yaw = rng.uniform(-np.pi, np.pi, n)
    pitch = rng.uniform(-1.0, 1.0, n) * max_tilt
    roll = rng.uniform(-1.0, 1.0, n) * max_tilt
    cy, sy, cp, sp, cr, sr = (
        np.cos(yaw),
        np.sin(yaw),
        np.cos(pitch),
        np.sin(pitch),
        np.cos(roll),
        np.sin(roll),
    )
    r = np.empty((n, 3, 3))
    r[:, 0] = np.stack([cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr], -1)
    r[:, 1] = np.stack([sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr], -1)
    r[:, 2] = np.stack([-sp, cp * sr, cp * cr], -1)
    return r


def generate(
    n: int, seed: int, window: int = 100, rate_hz: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """n windows (n, window, 9) float32 in raw units, and activity labels (n,) int64."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(ACTIVITIES), n)
    t = np.arange(window) / rate_hz  # (T,)
    x = np.zeros((n, window, 9))
    lie = labels == ACTIVITIES.index("lie")
    # orientation: world -> device. Upright: tilt <= 20 deg; lying: roll about 90 deg.
    rot = _rotation(rng, n, np.full(n, 0.35))
    side = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    lie_roll = np.zeros((n, 3, 3))
    lie_roll[:, 0, 0] = 1.0
    lie_roll[:, 1, 2] = -side
    lie_roll[:, 2, 1] = side
    eye = np.broadcast_to(np.eye(3), (n, 3, 3))
    rot = np.where(lie[:, None, None], lie_roll @ rot, eye @ rot)
    g_dev = np.einsum("nij,j->ni", rot.transpose(0, 2, 1), np.array([0.0, 0.0, G]))
    # earth field: 25-65 uT, inclination -70..70 deg, pointing north in the world frame
    b = rng.uniform(25.0, 65.0, n)
    inc = rng.uniform(-1.2, 1.2, n)
    b_world = np.stack([b * np.cos(inc), np.zeros(n), -b * np.sin(inc)], -1)
    b_dev = np.einsum("nji,nj->ni", rot, b_world)
    x[:, :, 0:3] = g_dev[:, None, :]
    x[:, :, 6:9] = b_dev[:, None, :]
    for k, name in enumerate(ACTIVITIES):
        idx = np.flatnonzero(labels == k)
        if idx.size == 0:
            continue
        (f_lo, f_hi), (a_lo, a_hi), gyro_amp = _MOTION[name]
        m = idx.size
        f = rng.uniform(f_lo, f_hi, (m, 1))
        amp = rng.uniform(a_lo, a_hi, (m, 1))
        phase = rng.uniform(0, 2 * np.pi, (m, 3))
        w = 2 * np.pi * f * t[None, :]  # (m, T)
        acc = np.stack(
            [
                0.4 * amp * np.sin(w / 2 + phase[:, 0:1]),  # sway at half the step rate
                0.3 * amp * np.sin(w + phase[:, 1:2]),
                amp * (np.sin(w + phase[:, 2:3]) + 0.3 * np.sin(2 * w + phase[:, 2:3])),
            ],
            -1,
        )
        gyro = (
            gyro_amp
            * np.stack(
                [
                    np.sin(w + phase[:, 1:2]),
                    0.5 * np.sin(w / 2 + phase[:, 0:1]),
                    0.3 * np.cos(w + phase[:, 2:3]),
                ],
                -1,
            )
            * rng.uniform(0.5, 1.0, (m, 1, 1))
        )
        if name == "jump":  # take-off, flight (free fall ~ -g), landing impact
            t0 = rng.integers(10, 50, m)
            for j in range(m):
                s = t0[j]
                acc[j, s : s + 8, 2] += rng.uniform(8.0, 15.0)
                acc[j, s + 8 : s + 35, :] -= g_dev[idx[j]][None, :] * 0.9
                acc[j, s + 35 : s + 40, 2] += rng.uniform(15.0, 30.0)
        if name == "turn":  # sustained yaw rate; heading change rotates the field
            rate = rng.uniform(0.5, 2.0, (m, 1)) * np.where(rng.random((m, 1)) < 0.5, 1, -1)
            gyro[:, :, 2] += rate
            ang = rate * t[None, :]
            bx, by = x[idx, :, 6].copy(), x[idx, :, 7].copy()
            x[idx, :, 6] = bx * np.cos(ang) + by * np.sin(ang)
            x[idx, :, 7] = -bx * np.sin(ang) + by * np.cos(ang)
        x[idx, :, 0:3] += acc
        x[idx, :, 3:6] += gyro
    x[:, :, 0:3] += rng.normal(0, 0.05, (n, window, 3))  # accel noise
    x[:, :, 3:6] += rng.normal(0, 0.005, (n, window, 3)) + rng.normal(0, 0.01, (n, 1, 3))
    x[:, :, 6:9] += rng.normal(0, 0.5, (n, window, 3)) + rng.normal(0, 3.0, (n, 1, 3))
    return x.astype(np.float32), labels.astype(np.int64)
