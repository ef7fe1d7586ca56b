import { test } from "node:test";
import assert from "node:assert/strict";
import { range } from "../src/range.js";
test("counts up to, not including, end", () => assert.deepEqual(range(0, 3), [0, 1, 2]));
test("steps", () => assert.deepEqual(range(1, 10, 3), [1, 4, 7]));
test("empty", () => assert.deepEqual(range(3, 3), []));
test("counts down", () => {
  assert.deepEqual(range(5, 0, -2), [5, 3, 1]);
  assert.deepEqual(range(3, 0, -1), [3, 2, 1]);
});
test("step 0 is refused", () => assert.throws(() => range(0, 1, 0), RangeError));
