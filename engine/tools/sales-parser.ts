import { DStream } from "../dstream/dstream";
import "../dstream/filtered";
import "../dstream/mapped";
import { RecordProblems } from "../errors/messages";
import { shipByName } from "../executor/shippable";

/** One sale: a line `storeid,productid,number,totalprice` of the lecture's exercise. */
export interface Sale {
  storeId: string;
  productId: string;
  /** How many items of the product this transaction sold (a whole number >= 1). */
  number: number;
  /** The price of the whole transaction, in the store's currency (prices differ per store). */
  totalPrice: number;
}

/** The rule a malformed sale line breaks. */
export type MalformedSaleRule = "empty-line" | "field-count" | "empty-field" | "bad-number" | "bad-price";

/** A line that is not a sale: kept, with why, so it can be counted and shown. */
export interface MalformedRecord {
  /** The line exactly as received. */
  line: string;
  /** Which rule it breaks; stable, safe to group by. */
  rule: MalformedSaleRule;
  /** Stable error code: always `STREAM_ERR_MALFORMED_SALE`. */
  code: string;
  /** A sentence naming the line, the rule and the expected format. */
  message: string;
}

/** What parseSale returns: the sale, or why the line is not one. */
export type SaleParseResult = { ok: true; sale: Sale } | { ok: false; error: MalformedRecord };

const RULE_TEXT: Record<MalformedSaleRule, string> = {
  "empty-line": "the line is empty",
  "field-count": "expected 4 comma-separated fields",
  "empty-field": "a field is empty",
  "bad-number": "number must be a whole number >= 1",
  "bad-price": "totalprice must be a non-negative decimal number such as 19.98",
};

/**
 * Parses one line `storeid,productid,number,totalprice` (spaces around fields are ignored).
 * Never throws: a malformed line gives `{ ok: false, error }` with the rule it breaks.
 *
 * @example
 * parseSale("s1,p7,2,19.98"); // { ok: true, sale: { storeId: "s1", productId: "p7", number: 2, totalPrice: 19.98 } }
 * parseSale("s1,p7,two,19.98").ok; // false (rule "bad-number")
 */
export function parseSale(line: string): SaleParseResult {
  const text = typeof line === "string" ? line : String(line);
  const fast = parseWellFormedSale(text);
  if (fast !== undefined) return { ok: true, sale: fast };
  if (text.trim() === "") return malformed(text, "empty-line");
  const fields = text.split(",").map((f) => f.trim());
  if (fields.length !== 4) return malformed(text, "field-count");
  if (fields.some((f) => f === "")) return malformed(text, "empty-field");
  const [storeId, productId, numberText, priceText] = fields;
  const number = Number(numberText);
  if (!/^\d+$/.test(numberText) || !Number.isSafeInteger(number) || number < 1) return malformed(text, "bad-number");
  if (!/^\d+(\.\d+)?$/.test(priceText)) return malformed(text, "bad-price");
  return { ok: true, sale: { storeId, productId, number, totalPrice: Number(priceText) } };
}

/**
 * The common case without the general path's trims, array copies and regular expressions: exactly
 * four fields, none empty or padded, a whole number and a plain decimal. Anything else returns
 * undefined and goes through the general path, which gives the same result for these lines.
 */
function parseWellFormedSale(text: string): Sale | undefined {
  const c1 = text.indexOf(",");
  const c2 = c1 < 0 ? -1 : text.indexOf(",", c1 + 1);
  const c3 = c2 < 0 ? -1 : text.indexOf(",", c2 + 1);
  if (c3 < 0 || text.indexOf(",", c3 + 1) >= 0) return undefined;
  if (c1 === 0 || c2 === c1 + 1 || c3 === c2 + 1 || c3 === text.length - 1) return undefined;
  if (isPadded(text.charCodeAt(0)) || isPadded(text.charCodeAt(c1 - 1)) || isPadded(text.charCodeAt(c1 + 1)) || isPadded(text.charCodeAt(c2 - 1))) return undefined;
  let number = 0;
  for (let i = c2 + 1; i < c3; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    number = number * 10 + d;
  }
  if (number < 1 || !Number.isSafeInteger(number)) return undefined;
  let dot = -1;
  for (let i = c3 + 1; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 46 && dot < 0 && i > c3 + 1 && i < text.length - 1) dot = i;
    else if (ch < 48 || ch > 57) return undefined;
  }
  return { storeId: text.slice(0, c1), productId: text.slice(c1 + 1, c2), number, totalPrice: Number(text.slice(c3 + 1)) };
}

/** Characters String.prototype.trim would remove at the edge of a field (whitespace). */
function isPadded(code: number): boolean {
  return code <= 32 || code === 160 || code === 0xfeff || (code >= 0x1680 && /\s/.test(String.fromCharCode(code)));
}

// Pure, but it calls this module's helpers: a worker thread loads it rather than its source.
shipByName(parseSale, "tools/sales-parser", "parseSale");

function malformed(line: string, rule: MalformedSaleRule): SaleParseResult {
  const { code, message } = RecordProblems.malformedSale(line, RULE_TEXT[rule]);
  return { ok: false, error: { line, rule, code, message } };
}

/** The two streams parseSales splits a line stream into. */
export interface ParsedSales {
  /** Every well-formed line as a Sale, in order. */
  sales: DStream<Sale>;
  /** Every other line, with the rule it breaks: count it, show it; the stream goes on. */
  malformed: DStream<MalformedRecord>;
}

/**
 * Splits a stream of sale lines into the sales and the malformed lines, so bad input is counted
 * and shown instead of crashing a batch, and no good line is lost. Each line is parsed once per
 * batch (the parsed stream is shared by both outputs).
 *
 * @example
 * const { sales, malformed } = parseSales(ssc.socketTextStream("localhost", 9999));
 * sales.mapToPair((s) => [s.productId, s.number]).reduceByKey((a, b) => a + b).print();
 * malformed.count().print();
 */
export function parseSales(lines: DStream<string>): ParsedSales {
  const parsed = lines.map(parseSale);
  return {
    sales: parsed.filter((r) => r.ok).map((r) => (r as { ok: true; sale: Sale }).sale),
    malformed: parsed.filter((r) => !r.ok).map((r) => (r as { ok: false; error: MalformedRecord }).error),
  };
}
