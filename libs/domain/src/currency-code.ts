/**
 * The currency an amount of money a new fact records may be in: three upper-case letters, as
 * ISO 4217 spells a code, but none of the codes ISO 4217 assigns to something that is not
 * money a deal is paid in. Those are XXX ("no currency"), XTS (reserved for testing), the
 * precious metals XAU, XAG, XPD and XPT (a troy ounce each), and the units of account XDR (the
 * IMF's special drawing right), XSU (the ALBA's sucre), XUA (the African Development Bank's
 * unit) and XBA–XBD (European bond-market units). Revenue summed per currency would show a
 * pipeline "in XXX" or "in gold" that no one can convert or invoice.
 *
 * The real currencies among the X codes stay valid (XAF, XOF, XCD, XPF, XCG): X marks a code
 * that names no single country, not one that names no money. A code ISO has not assigned
 * (`ABC`) is not refused here: the list of currencies moves (VED in 2021, ZWG in 2024, XCG in
 * 2025) and refusing a new one would block a real deal, whereas these codes are money for no
 * one by their definition. Never used to decode what is already recorded: a stored event keeps
 * whatever code it was recorded with, and still folds and projects.
 */
export const NON_MONEY_CURRENCY_CODES = [
  'XXX',
  'XTS',
  'XAU',
  'XAG',
  'XPD',
  'XPT',
  'XDR',
  'XSU',
  'XUA',
  'XBA',
  'XBB',
  'XBC',
  'XBD',
] as const;

const notMoney: ReadonlySet<string> = new Set(NON_MONEY_CURRENCY_CODES);

/** A currency code as it is spelled: three upper-case letters (ISO 4217 alpha-3). */
export const CURRENCY_CODE_PATTERN = /^[A-Z]{3}$/;

export const CURRENCY_CODE_MESSAGE = 'must be an ISO 4217 code such as EUR';

/** True for a code a new amount of money may name: well formed, and money (see above). */
export const isMoneyCurrency = (value: string): boolean =>
  CURRENCY_CODE_PATTERN.test(value) && !notMoney.has(value);

export const NON_MONEY_CURRENCY_MESSAGE =
  'must be a currency money is paid in: XXX (no currency), XTS (testing), the metals XAU, XAG, XPD, XPT and the units of account XDR, XSU, XUA, XBA–XBD are not';
