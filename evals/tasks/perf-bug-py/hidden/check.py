import sys
import time

sys.path.insert(0, ".")
from fastlib.dedupe import dedupe

assert dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]
assert dedupe([]) == []
assert dedupe(["b", "a", "b"]) == ["b", "a"]
big = [i % 150000 for i in range(300000)]
start = time.monotonic()
result = dedupe(big)
elapsed = time.monotonic() - start
assert result == list(range(150000)), "wrong result on the large input"
print(f"large input in {elapsed:.3f} s")
assert elapsed < 2.0, f"too slow: {elapsed:.1f} s"
