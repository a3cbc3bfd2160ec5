import { Errors } from "../errors/messages";
import { mulberry32, Random, randomInt, shuffled, zipfSampler } from "./prng";
import type { MalformedSaleRule, Sale } from "./sales-parser";

/** Options of the seeded sales stream. */
export interface SalesOptions {
  /** Number of stores, ids `s1`..`sN` (default 5). */
  stores?: number;
  /** Number of products, ids `p1`..`pN` (default 20). */
  products?: number;
  /** Zipf exponent of product popularity: 0 is uniform, higher is more skewed (default 1.2). */
  skew?: number;
  /** Most items of one product in one transaction (default 5; fewer items are more likely). */
  maxNumber?: number;
  /** Probability in [0, 1] that a line is malformed, for teaching bad input (default 0). */
  malformedRate?: number;
  /** Stop after this many lines (default: endless). */
  count?: number;
  /**
   * Every this many sales a seeded product becomes the most popular one (a new hit), so the best
   * seller of a sliding window changes over time (default: popularity never changes).
   */
  shiftEvery?: number;
}

/** One line of the sales stream, with what it means (so references need no parser). */
export interface SalesRecord {
  /** The line as sent: `storeid,productid,number,totalprice`. */
  line: string;
  /** The sale the line encodes; undefined for a malformed line. */
  sale?: Sale;
  /** For a malformed line: the rule it breaks (the rule parseSale reports). */
  defect?: MalformedSaleRule;
}

/** The stores, products, prices and popularity that a seed defines. */
export interface SalesCatalog {
  storeIds: string[];
  productIds: string[];
  /** Product ids from most to least popular. */
  productsByPopularity: string[];
  /** Unit price in cents of `productId` at `storeId` (each store has its own prices). */
  unitPriceCents(storeId: string, productId: string): number;
}

const DEFECTS: MalformedSaleRule[] = ["field-count", "empty-field", "bad-number", "bad-price", "empty-line"];

/**
 * The catalog of a seed: `stores` stores, `products` products with a base price each, every store
 * pricing each product within ±20% of its base, and popularity ranks in a seeded order (so the
 * best seller is not always `p1`).
 */
export function salesCatalog(seed: number, options: SalesOptions = {}): SalesCatalog {
  const o = checkOptions(options);
  const rnd = mulberry32(seed);
  const storeIds = Array.from({ length: o.stores }, (_, i) => `s${i + 1}`);
  const productIds = Array.from({ length: o.products }, (_, i) => `p${i + 1}`);
  const basePrices = productIds.map(() => randomInt(rnd, 100, 10_000));
  const prices = storeIds.map(() => basePrices.map((base) => Math.round(base * (0.8 + 0.4 * rnd()))));
  const productsByPopularity = shuffled(rnd, productIds);
  return {
    storeIds,
    productIds,
    productsByPopularity,
    unitPriceCents: (storeId, productId) => prices[storeIds.indexOf(storeId)][productIds.indexOf(productId)],
  };
}

/**
 * The seeded sales stream as records: the same seed and options give the same records, on every
 * machine. Malformed lines come from a separate random sequence, so the well-formed sales are the
 * same with or without `malformedRate`: bad lines are inserted between them, never replace them.
 *
 * @example
 * for (const r of salesRecords(42, { count: 3 })) console.log(r.line, r.sale);
 */
export function* salesRecords(seed: number, options: SalesOptions = {}): Generator<SalesRecord> {
  const o = checkOptions(options);
  const catalog = salesCatalog(seed, options);
  const saleRnd = mulberry32(seed ^ 0x5bd1e995);
  const defectRnd = mulberry32(seed ^ 0x27d4eb2f);
  const pickRank = zipfSampler(o.products, o.skew);
  // Small transactions are the common case: 1 item with weight maxNumber, maxNumber items with weight 1.
  const pickNumber = zipfSampler(o.maxNumber, 1);
  const ranking = [...catalog.productsByPopularity];
  const shiftRnd = mulberry32(seed ^ 0x165667b1);
  let salesSoFar = 0;
  for (let i = 0; o.count === undefined || i < o.count; i++) {
    if (o.malformedRate > 0 && defectRnd() < o.malformedRate) {
      yield malformedRecord(defectRnd, catalog);
      continue;
    }
    // Counted in sales, not lines, so malformed lines never move a shift.
    if (o.shiftEvery !== undefined && salesSoFar > 0 && salesSoFar % o.shiftEvery === 0 && ranking.length > 1) {
      ranking.unshift(...ranking.splice(1 + Math.floor(shiftRnd() * (ranking.length - 1)), 1));
    }
    salesSoFar++;
    const storeId = catalog.storeIds[Math.floor(saleRnd() * catalog.storeIds.length)];
    const productId = ranking[pickRank(saleRnd)];
    const number = pickNumber(saleRnd) + 1;
    const totalCents = number * catalog.unitPriceCents(storeId, productId);
    const sale: Sale = { storeId, productId, number, totalPrice: totalCents / 100 };
    yield { line: `${storeId},${productId},${number},${(totalCents / 100).toFixed(2)}`, sale };
  }
}

/**
 * The seeded sales stream as lines `storeid,productid,number,totalprice` (the lecture's format).
 *
 * @example
 * const lines = [...salesLines(42, { count: 1000, stores: 3, products: 10 })];
 * startLineServer({ port: 9999, lines: salesLines(42), rate: 100 });
 */
export function* salesLines(seed: number, options: SalesOptions = {}): Generator<string> {
  for (const r of salesRecords(seed, options)) yield r.line;
}

function malformedRecord(rnd: Random, catalog: SalesCatalog): SalesRecord {
  const defect = DEFECTS[Math.floor(rnd() * DEFECTS.length)];
  const store = catalog.storeIds[Math.floor(rnd() * catalog.storeIds.length)];
  const product = catalog.productIds[Math.floor(rnd() * catalog.productIds.length)];
  const lines: Record<MalformedSaleRule, string[]> = {
    "field-count": [`${store},${product},2`, `${store};${product};2;10.00`, `${store},${product},2,10.00,extra`],
    "empty-field": [`${store},,2,10.00`, `,${product},1,5.00`, `${store},${product},,5.00`],
    "bad-number": [`${store},${product},two,10.00`, `${store},${product},0,0.00`, `${store},${product},-3,15.00`, `${store},${product},1.5,7.50`],
    "bad-price": [`${store},${product},2,N/A`, `${store},${product},2,-4.00`, `${store},${product},2,$10`],
    "empty-line": [""],
  };
  const choices = lines[defect];
  return { line: choices[Math.floor(rnd() * choices.length)], defect };
}

function checkOptions(options: SalesOptions) {
  const o = { stores: 5, products: 20, skew: 1.2, maxNumber: 5, malformedRate: 0, ...stripUndefined(options) };
  wholeAtLeast("stores", o.stores, 1);
  wholeAtLeast("products", o.products, 1);
  wholeAtLeast("maxNumber", o.maxNumber, 1);
  if (o.count !== undefined) wholeAtLeast("count", o.count, 0);
  if (o.shiftEvery !== undefined) wholeAtLeast("shiftEvery", o.shiftEvery, 1);
  if (typeof o.skew !== "number" || !(o.skew >= 0) || !Number.isFinite(o.skew)) {
    throw Errors.badOption("sales option skew", o.skew, "must be a finite number >= 0", "Use 0 for uniform popularity, about 1 for Zipf's law.");
  }
  if (typeof o.malformedRate !== "number" || !(o.malformedRate >= 0 && o.malformedRate <= 1)) {
    throw Errors.badOption("sales option malformedRate", o.malformedRate, "must be a probability between 0 and 1", "Use e.g. 0.01 for one bad line in a hundred.");
  }
  return o;
}

function wholeAtLeast(name: string, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw Errors.badOption(`sales option ${name}`, value, `must be a whole number >= ${min}`, `Pass e.g. { ${name}: ${Math.max(min, 5)} }.`);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
