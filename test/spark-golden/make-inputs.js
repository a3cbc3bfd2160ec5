// Writes the seeded inputs of the golden programs to input/*.txt (one line per batch, tokens
// separated by single spaces; an empty line is an empty batch). Run once; the files are committed
// and read by both GoldenPrograms.java (real Spark) and spark-golden.test.ts (streamlab).
"use strict";
const fs = require("fs");
const path = require("path");

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = mulberry32(20240611);
const int = (n) => Math.floor(rnd() * n);
const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "fi", "do", "be", "gu", "ha", "jo", "wy", "xe", "cy"];

// 300 distinct words: generated ones, equal-String.hashCode families ("Aa" == "BB"), non-ASCII
// (UTF-16 hashing, a surrogate pair), and the lecture's words.
const special = ["Aa", "BB", "AaAa", "AaBB", "BBAa", "BBBB", "AaAaAa", "BBBBBB", "café", "naïve", "straße", "日本", "smile😀",
  "hello", "world", "bye", "again", "spark", "streaming", "a", "b", "Z", "0", "-", "x1", "x2"];
const vocab = new Set(special);
while (vocab.size < 300) {
  let w = "";
  const n = 1 + int(4);
  for (let i = 0; i < n; i++) w += SYLLABLES[int(SYLLABLES.length)];
  vocab.add(w);
}
const words = [...vocab];

/** A Zipf-like pick: low indexes are frequent, so counts differ and ties exist. */
const zipf = (arr) => arr[Math.floor(arr.length * Math.pow(rnd(), 2.2))];
const shuffled = (arr) => { const a = arr.slice(); for (let i = a.length - 1; i > 0; i--) { const j = int(i + 1); [a[i], a[j]] = [a[j], a[i]]; } return a; };

function batches(sizes, pick) {
  return sizes.map((n) => Array.from({ length: n }, pick).join(" "));
}

const out = {};
// 6 batches, the 4th empty; every word appears at least once over the first two batches.
const order = shuffled(words);
out.words = batches([520, 480, 450, 0, 400, 60], () => zipf(order));
out.words[0] = shuffled(out.words[0].split(" ").concat(order.slice(0, 150))).join(" ");
out.words[1] = shuffled(out.words[1].split(" ").concat(order.slice(150))).join(" ");
// The second stream of joins: every third word plus 30 of its own.
const other = words.filter((_, i) => i % 3 === 0).concat(Array.from({ length: 30 }, (_, i) => `only${i}`));
const otherOrder = shuffled(other);
out.words2 = batches([200, 150, 0, 180, 120, 90], () => zipf(otherOrder));
// key:value tokens over 50 keys, for groupByKey, cogroup and the raw joins.
const keys = shuffled(words).slice(0, 50);
out.pairs = batches([120, 100, 0, 110, 90, 40], () => `${zipf(keys)}:${int(100)}`);
out.pairs2 = batches([100, 0, 120, 90, 100, 30], () => `${zipf(keys.slice(10).concat(["Aa", "BB", "nokey"]))}:${int(100)}`);
// Numeric keys: ints (negatives, extremes), longs beyond the int range, doubles with a fraction.
const numbers = [];
for (let i = 0; i < 120; i++) numbers.push(String(int(2001) - 1000));
for (let i = 0; i < 20; i++) numbers.push(String(3000000000 + int(5) * 4294967296 + i), String(-3000000000 - i * 7919));
for (let i = 0; i < 20; i++) numbers.push(`${int(200) - 100}.5`, `${int(50)}.25`);
numbers.push("2147483647", "-2147483648", "0", "-1", "4294967296", "-4294967296");
out.numbers = batches([300, 250, 200, 0, 150], () => zipf(numbers));
// The lecture's input.
out.lecture = ["hello world hello bye bye", "", "hello again", "bye world", "hello"];

for (const [name, lines] of Object.entries(out)) fs.writeFileSync(path.join(__dirname, "input", `${name}.txt`), lines.join("\n") + "\n");
