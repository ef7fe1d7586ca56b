import { test } from "node:test";
import assert from "node:assert/strict";
import { priceWithDiscount } from "../src/index.js";
test("discounts", () => {
  assert.equal(priceWithDiscount({ price: 12.99 }, 10), 11.69);
  assert.equal(priceWithDiscount({ price: 4.5 }, 0), 4.5);
  assert.equal(priceWithDiscount({ price: 4.5 }, 100), 0);
});
test("refuses a bad percent", () => {
  assert.throws(() => priceWithDiscount({ price: 1 }, 101), RangeError);
  assert.throws(() => priceWithDiscount({ price: 1 }, -1), RangeError);
});
