// A poll's tally as rows (src/common/tally.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { tallyRows, totalVotes } from "../src/common/tally.js";

test("each option gets its count, a whole percent and whether it leads", () => {
  const rows = tallyRows({ options: ["May", "October"], tally: [1, 3], votes: 4 });
  assert.deepEqual(rows, [
    { index: 0, option: "May", count: 1, percent: 25, leading: false },
    { index: 1, option: "October", count: 3, percent: 75, leading: true },
  ]);
});

test("the percents add up to 100", () => {
  const rows = tallyRows({ options: ["a", "b", "c"], tally: [1, 1, 1] });
  assert.deepEqual(rows.map((r) => r.percent), [34, 33, 33]);
  const uneven = tallyRows({ options: ["a", "b", "c", "d"], tally: [2, 2, 1, 2] });
  assert.equal(uneven.reduce((sum, r) => sum + r.percent, 0), 100);
});

test("no votes: all zero and nobody leads; a short or bad tally counts as zero", () => {
  assert.deepEqual(
    tallyRows({ options: ["a", "b"], tally: [] }).map((r) => [r.count, r.percent, r.leading]),
    [
      [0, 0, false],
      [0, 0, false],
    ],
  );
  assert.deepEqual(tallyRows({ options: ["a", "b"], tally: [-2, "x"] }).map((r) => r.count), [0, 0]);
  assert.deepEqual(tallyRows({ options: ["a", "b"], tally: [2, 2] }).map((r) => r.leading), [true, true]);
  assert.deepEqual(tallyRows(null), []);
});

test("the total is the poll's votes, else the sum of its tally", () => {
  assert.equal(totalVotes({ options: ["a", "b"], tally: [0, 2], votes: 2 }), 2);
  assert.equal(totalVotes({ options: ["a", "b"], tally: [4, 1] }), 5);
});
