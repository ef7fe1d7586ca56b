/**
 * The people pages' pure helpers (src/ui/lib/peopleRules.ts): avatar initials, the device code
 * as typed, the login link's token, where one may be sent back after signing in, and what an
 * access re-check's answer means.
 */
import { describe, expect, it } from "vitest";
import { accessOutcome, initials, lifetimeLabel, normalizeUserCode, safeReturnPath, tokenFromHash, TOKEN_LIFETIMES } from "../../src/ui/lib/peopleRules.ts";

describe("initials (avatars without a picture)", () => {
  it("takes the first letters of the first and last words, in capitals", () => {
    expect(initials("Octo Cat")).toBe("OC");
    expect(initials("ada lovelace byron")).toBe("AB");
    expect(initials("octo")).toBe("O");
    expect(initials("tech lead")).toBe("TL");
  });

  it("splits on dots, dashes and underscores too, and says ? for no name", () => {
    expect(initials("jane.doe")).toBe("JD");
    expect(initials("  ")).toBe("?");
    expect(initials("")).toBe("?");
  });

  it("keeps a letter outside the basic plane whole", () => {
    expect(initials("𝒜lice Zed")).toBe("𝒜Z");
  });
});

describe("normalizeUserCode (the device page's code box)", () => {
  it("accepts the code as the CLI shows it, in any case, with spaces or without the dash", () => {
    expect(normalizeUserCode("BCDF-GHJK")).toBe("BCDF-GHJK");
    expect(normalizeUserCode("bcdf ghjk")).toBe("BCDF-GHJK");
    expect(normalizeUserCode(" bcdfghjk ")).toBe("BCDF-GHJK");
  });

  it("refuses wrong lengths and letters outside RFC 8628's base-20 alphabet (vowels, Y, digits)", () => {
    expect(normalizeUserCode("BCDF-GHJ")).toBeNull();
    expect(normalizeUserCode("BCDF-GHJKL")).toBeNull();
    expect(normalizeUserCode("ABCD-EFGH")).toBeNull();
    expect(normalizeUserCode("BCDF-GHJY")).toBeNull();
    expect(normalizeUserCode("1234-5678")).toBeNull();
  });
});

describe("tokenFromHash (the login link)", () => {
  it("reads token= from the fragment, trimmed", () => {
    expect(tokenFromHash("#token=sam_pat_abc")).toBe("sam_pat_abc");
    expect(tokenFromHash("token=%20sam_pat_x%20")).toBe("sam_pat_x");
    expect(tokenFromHash("#other=1&token=t1")).toBe("t1");
  });

  it("is null without a token", () => {
    expect(tokenFromHash("")).toBeNull();
    expect(tokenFromHash("#")).toBeNull();
    expect(tokenFromHash("#token=")).toBeNull();
    expect(tokenFromHash("#tokens=x")).toBeNull();
  });
});

describe("safeReturnPath (back to the page after signing in)", () => {
  it("keeps a path of this site with its query", () => {
    expect(safeReturnPath("/device?user_code=BCDF-GHJK")).toBe("/device?user_code=BCDF-GHJK");
    expect(safeReturnPath("/projects/prj_1/sessions/ses_2")).toBe("/projects/prj_1/sessions/ses_2");
  });

  it("refuses another site, protocol-relative and backslash tricks, control characters", () => {
    expect(safeReturnPath("https://evil.example/")).toBeNull();
    expect(safeReturnPath("//evil.example/x")).toBeNull();
    expect(safeReturnPath("/\\evil.example")).toBeNull();
    expect(safeReturnPath("/device\n")).toBeNull();
    expect(safeReturnPath("javascript:alert(1)")).toBeNull();
  });

  it("does not bother with home, the login page or the API", () => {
    expect(safeReturnPath("/")).toBeNull();
    expect(safeReturnPath("/?x=1")).toBeNull();
    expect(safeReturnPath("/login")).toBeNull();
    expect(safeReturnPath("/api/auth/github")).toBeNull();
    expect(safeReturnPath(null)).toBeNull();
    expect(safeReturnPath(undefined)).toBeNull();
  });
});

describe("accessOutcome (re-checking one's access to a project)", () => {
  it("says lost for a 404, signed out for a 401, inactive for a pending or suspended account", () => {
    expect(accessOutcome(404, "not_found")).toBe("lost");
    expect(accessOutcome(401, "unauthorized")).toBe("signedOut");
    expect(accessOutcome(403, "account_pending")).toBe("inactive");
    expect(accessOutcome(403, "account_suspended")).toBe("inactive");
  });

  it("says unknown for anything else (a network failure, a 5xx, another 403)", () => {
    expect(accessOutcome(0, "network")).toBe("unknown");
    expect(accessOutcome(500, "internal")).toBe("unknown");
    expect(accessOutcome(403, "forbidden")).toBe("unknown");
  });
});

describe("token lifetimes", () => {
  it("offers only lifetimes the server accepts (1 to 3,650 days, or none)", () => {
    for (const days of TOKEN_LIFETIMES) if (days !== null) expect(days >= 1 && days <= 3650).toBe(true);
    expect(TOKEN_LIFETIMES).toContain(null);
  });

  it("words them", () => {
    expect(lifetimeLabel(null)).toBe("never expires");
    expect(lifetimeLabel(1)).toBe("1 day");
    expect(lifetimeLabel(90)).toBe("90 days");
  });
});
