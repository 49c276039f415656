// X-Request-Id values as an attacker sends them; none may reach an audit event.

export const HOSTILE_REQUEST_IDS: Record<string, string> = {
  '10 kB': 'A'.repeat(10 * 1024),
  'a tab (control character)': 'req\tforged=1',
  'a C1 control character (NEL)': 'req\u0085forged',
  markup: '<script>alert(1)</script>',
  'a space and a quote': 'req 1" admin="yes',
  '129 characters': 'a'.repeat(129),
};
