/** An inline error line (role=alert); renders nothing when there is no message. */
export function FormError({ message, prefix, testId }: { message: string | null | undefined; prefix?: string; testId?: string }) {
  if (!message) return null;
  return (
    <p className="form-error" role="alert" data-testid={testId}>
      {prefix ? `${prefix}: ${message}` : message}
    </p>
  );
}
