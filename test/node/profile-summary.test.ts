import { describe, expect, it } from "vitest";
import { summarizeProfile } from "../../evals/perf/profile.ts";

const frame = (functionName: string, lineNumber: number) => ({ functionName, url: "file:///w/worker.js", lineNumber });

describe("CPU profile summary (evals/perf/profile.ts)", () => {
  it("attributes each sample's time to its function (self) and to every caller once (inclusive)", () => {
    // root → loop → journal, and loop → loop (recursion) → exec
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(root)", -1), children: [2] },
        { id: 2, callFrame: frame("loop", 9), children: [3, 4] },
        { id: 3, callFrame: frame("journal", 19) },
        { id: 4, callFrame: frame("loop", 9), children: [5] },
        { id: 5, callFrame: frame("exec", 29) },
      ],
      // timeDeltas[i + 1] is the time until the sample after sample i: 1 ms, 2 ms, 3 ms.
      samples: [3, 5, 2],
      timeDeltas: [0, 1000, 2000, 3000],
      startTime: 0,
      endTime: 6000,
    };
    const { selfMs, inclusiveMs } = summarizeProfile(profile);
    expect(Object.fromEntries(selfMs)).toEqual({ "journal worker.js:20": 1, "exec worker.js:30": 2, "loop worker.js:10": 3 });
    expect(Object.fromEntries(inclusiveMs)).toEqual({ "(root) worker.js:0": 6, "loop worker.js:10": 6, "journal worker.js:20": 1, "exec worker.js:30": 2 });
    expect(selfMs[0]).toEqual(["loop worker.js:10", 3]);
  });
});
