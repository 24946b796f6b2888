/**
 * The country codes a new fact may name: the 249 ISO 3166-1 alpha-2 codes ISO has assigned,
 * and XK (Kosovo). The one definition of it: the API's command bodies and the dictionary's
 * ICP (libs/contracts, funnel-definition.ts) refuse any other code, and `tandem import`
 * reads a CRM's country cell to one of these. It must never be used to decode what is
 * already recorded: a stored event keeps whatever code it was recorded with, and still
 * folds and projects.
 *
 * Written out rather than asked of the runtime (Intl.DisplayNames also names reserved and
 * withdrawn codes such as EU, UK and YU, and its list moves with each ICU release), so the
 * API and every import agree on the same list whatever Node runs them.
 *
 * XK is a user-assigned code, not an ISO one; it is here because Kosovo has no other code
 * and XK is the one everybody uses for it (the European Commission, SWIFT and IBAN, Unicode
 * CLDR and so Intl, CRMs' country pickers): refusing it would leave a lead in Pristina with
 * no country, or refuse the CRM export that names it. No other user-assigned code (AA,
 * QM–QZ, XA–XZ, ZZ) names a country anyone agrees on; those are refused (docs/adr/0017).
 */
// Sixteen codes a line, not Prettier's one: 250 lines would hide the list's shape.
// prettier-ignore
export const COUNTRY_CODES = [
  'AD', 'AE', 'AF', 'AG', 'AI', 'AL', 'AM', 'AO', 'AQ', 'AR', 'AS', 'AT', 'AU', 'AW', 'AX', 'AZ',
  'BA', 'BB', 'BD', 'BE', 'BF', 'BG', 'BH', 'BI', 'BJ', 'BL', 'BM', 'BN', 'BO', 'BQ', 'BR', 'BS',
  'BT', 'BV', 'BW', 'BY', 'BZ', 'CA', 'CC', 'CD', 'CF', 'CG', 'CH', 'CI', 'CK', 'CL', 'CM', 'CN',
  'CO', 'CR', 'CU', 'CV', 'CW', 'CX', 'CY', 'CZ', 'DE', 'DJ', 'DK', 'DM', 'DO', 'DZ', 'EC', 'EE',
  'EG', 'EH', 'ER', 'ES', 'ET', 'FI', 'FJ', 'FK', 'FM', 'FO', 'FR', 'GA', 'GB', 'GD', 'GE', 'GF',
  'GG', 'GH', 'GI', 'GL', 'GM', 'GN', 'GP', 'GQ', 'GR', 'GS', 'GT', 'GU', 'GW', 'GY', 'HK', 'HM',
  'HN', 'HR', 'HT', 'HU', 'ID', 'IE', 'IL', 'IM', 'IN', 'IO', 'IQ', 'IR', 'IS', 'IT', 'JE', 'JM',
  'JO', 'JP', 'KE', 'KG', 'KH', 'KI', 'KM', 'KN', 'KP', 'KR', 'KW', 'KY', 'KZ', 'LA', 'LB', 'LC',
  'LI', 'LK', 'LR', 'LS', 'LT', 'LU', 'LV', 'LY', 'MA', 'MC', 'MD', 'ME', 'MF', 'MG', 'MH', 'MK',
  'ML', 'MM', 'MN', 'MO', 'MP', 'MQ', 'MR', 'MS', 'MT', 'MU', 'MV', 'MW', 'MX', 'MY', 'MZ', 'NA',
  'NC', 'NE', 'NF', 'NG', 'NI', 'NL', 'NO', 'NP', 'NR', 'NU', 'NZ', 'OM', 'PA', 'PE', 'PF', 'PG',
  'PH', 'PK', 'PL', 'PM', 'PN', 'PR', 'PS', 'PT', 'PW', 'PY', 'QA', 'RE', 'RO', 'RS', 'RU', 'RW',
  'SA', 'SB', 'SC', 'SD', 'SE', 'SG', 'SH', 'SI', 'SJ', 'SK', 'SL', 'SM', 'SN', 'SO', 'SR', 'SS',
  'ST', 'SV', 'SX', 'SY', 'SZ', 'TC', 'TD', 'TF', 'TG', 'TH', 'TJ', 'TK', 'TL', 'TM', 'TN', 'TO',
  'TR', 'TT', 'TV', 'TW', 'TZ', 'UA', 'UG', 'UM', 'US', 'UY', 'UZ', 'VA', 'VC', 'VE', 'VG', 'VI',
  'VN', 'VU', 'WF', 'WS', 'XK', 'YE', 'YT', 'ZA', 'ZM', 'ZW',
] as const;

export type CountryCode = (typeof COUNTRY_CODES)[number];

const known: ReadonlySet<string> = new Set(COUNTRY_CODES);

/** True for a code a new fact may name (upper case only, as it is stored). */
export const isCountryCode = (value: string): value is CountryCode => known.has(value);

export const COUNTRY_CODE_MESSAGE =
  'must be an assigned ISO 3166-1 alpha-2 code in upper case (or XK, Kosovo), such as IT';
