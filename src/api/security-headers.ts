/**
 * Security headers of the UI's pages (issue 13's hardening): a Content-Security-Policy that
 * allows only SAM's own scripts and connections (and no framing), `X-Content-Type-Options:
 * nosniff` and a `Referrer-Policy` that sends no path to other sites.
 */

/**
 * The UI's Content-Security-Policy. Styles allow `'unsafe-inline'` (the chart library sets
 * inline styles); images allow `https:` and `data:` (avatars). `frame-ancestors 'none'`: the UI
 * is never framed (embedding goes through the embed client, not an iframe of the UI).
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** `response` with the security headers added (a copy: asset responses are immutable). */
export function withSecurityHeaders(response: Response): Response {
  const secured = new Response(response.body, response);
  secured.headers.set("content-security-policy", UI_CONTENT_SECURITY_POLICY);
  secured.headers.set("x-content-type-options", "nosniff");
  secured.headers.set("referrer-policy", "strict-origin-when-cross-origin");
  return secured;
}
