"""Per-step and total milliseconds of terminal.camera.process_photo on one core.

    python -m benchmarks.photo_pipeline [--runs 15] [--no-profile-faces]

Frames: drawn street scenes (SyntheticCameraProvider) at 1920x1080 and 4000x3000 (12 MP), each with
scikit-image's astronaut photo pasted in so the face detector and blur do real work (skipped if
scikit-image is missing). Reports the median of --runs runs per step; target: 12 MP total <= 300 ms.
"""
from __future__ import annotations

import argparse
import platform
import statistics

import cv2
import numpy as np

from terminal.camera import SyntheticCameraProvider, process_photo

TARGET_12MP_MS = 300.0


def frame(width: int, height: int) -> np.ndarray:
    with SyntheticCameraProvider(seed=11, size=(width, height)) as camera:
        image = camera.read_frame()
    try:
        from skimage.data import astronaut
    except ImportError:
        return image
    person = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    side = height * 3 // 5  # a bystander close to the camera: face ~ 1/9 of the frame height
    person = cv2.resize(person, (side, side), interpolation=cv2.INTER_AREA)
    y, x = height // 3, width // 2
    image[y:y + side, x:x + side] = person
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-profile-faces", action="store_true", help="frontal cascade only")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(f"OpenCV {cv2.__version__}, Python {platform.python_version()}, {platform.machine()}, 1 thread, "
          f"median of {args.runs} runs, profile faces {'off' if args.no_profile_faces else 'on'}")
    results = {}
    for label, (width, height) in {"1080p": (1920, 1080), "12MP": (4000, 3000)}.items():
        image = frame(width, height)
        process_photo(image, profile_faces=not args.no_profile_faces)  # warm-up: cascade load, allocations
        runs = [process_photo(image, profile_faces=not args.no_profile_faces) for _ in range(args.runs)]
        steps = list(runs[0].timings_ms)
        medians = {step: statistics.median(r.timings_ms[step] for r in runs) for step in steps}
        results[label] = medians
        last = runs[-1]
        print(f"\n{label} {width}x{height} -> {last.width}x{last.height}, {len(last.jpeg) // 1024} KiB, "
              f"faces blurred {last.faces_blurred}, verdict {last.verdict.issue.value}")
        for step in steps:
            print(f"  {step:<13}{medians[step]:8.1f} ms")
    total = results["12MP"]["total"]
    print(
        f"\n12MP total {total:.1f} ms: {'within' if total <= TARGET_12MP_MS else 'OVER'}"
        f" the {TARGET_12MP_MS:.0f} ms target"
    )


if __name__ == "__main__":
    main()
