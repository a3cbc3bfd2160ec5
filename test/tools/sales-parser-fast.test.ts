import { RecordProblems } from "../../engine/errors/messages";
import { parseSale } from "../../engine/tools/sales-parser";
import { mulberry32 } from "../../engine/tools/prng";

/** parseSale as it was before its fast path: the definition every line must still agree with. */
function reference(text: string): unknown {
  const bad = (rule: string, why: string) => { const e = RecordProblems.malformedSale(text, why); return { ok: false, error: { line: text, rule, code: e.code, message: e.message } }; };
  if (text.trim() === "") return bad("empty-line", "the line is empty");
  const fields = text.split(",").map((f) => f.trim());
  if (fields.length !== 4) return bad("field-count", "expected 4 comma-separated fields");
  if (fields.some((f) => f === "")) return bad("empty-field", "a field is empty");
  const [storeId, productId, numberText, priceText] = fields;
  const number = Number(numberText);
  if (!/^\d+$/.test(numberText) || !Number.isSafeInteger(number) || number < 1) return bad("bad-number", "number must be a whole number >= 1");
  if (!/^\d+(\.\d+)?$/.test(priceText)) return bad("bad-price", "totalprice must be a non-negative decimal number such as 19.98");
  return { ok: true, sale: { storeId, productId, number, totalPrice: Number(priceText) } };
}

describe("parseSale's fast path", () => {
  it("agrees with the general rules on well-formed, padded and malformed lines", () => {
    const rnd = mulberry32(3);
    const parts = ["s1", "p42", "3", "19.98", "", " ", "\u00a0", "\t", "0", "007", ".5", "5.", "1.2.3", "-1", "1e3", "99999999999999999", "x", ",", "\u3000", "12"];
    for (let i = 0; i < 20_000; i++) {
      let line = "";
      const n = 1 + Math.floor(rnd() * 9);
      for (let j = 0; j < n; j++) line += parts[Math.floor(rnd() * parts.length)] + (rnd() < 0.6 ? "," : "");
      expect(parseSale(line)).toEqual(reference(line));
    }
    for (const line of ["s1,p1,2,10.00", "s1 ,p1,2,10", " s1,p1,2,10", "s1,p1, 2,10", "s1,p1,2,10 ", "s1,,2,10", "s1,p1,0,1", "s1,p1,2,1.", "s1,p1,2,.1"]) {
      expect(parseSale(line)).toEqual(reference(line));
    }
  });
});
