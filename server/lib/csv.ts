/**
 * One CSV cell: quoted when it holds a comma, quote or line break; a leading = + - @ or tab (which a
 * spreadsheet would run as a formula) defused with a quote character.
 */
export const csvCell = (v: string) => (/[",\n\r]/.test(v) || /^[=+\-@\t]/.test(v) ? `"${v.replace(/^([=+\-@\t])/, "'$1").replace(/"/g, '""')}"` : v);
