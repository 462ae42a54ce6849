/** "JBSW Y3DP EHPK 3PXP": easier to type by hand; the app accepts it with or without the spaces. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, "").replace(/(.{4})(?=.)/g, "$1 ");
}
