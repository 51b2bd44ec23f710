// The `data` trait of a progress widget, as the kernel packs it.

/** Little-endian float64 bytes, 4 per bar; `null` stands for NaN (unknown). */
export function pack(bars, { offset = 0 } = {}) {
  const values = bars.flat();
  const buffer = new ArrayBuffer(offset + values.length * 8 + 16);
  const view = new DataView(buffer, offset, values.length * 8);
  values.forEach((v, i) => view.setFloat64(i * 8, v === null ? NaN : v, true));
  // Garbage around the window: a reader ignoring byteOffset/byteLength would see it.
  new Uint8Array(buffer, 0, offset).fill(0xff);
  new Uint8Array(buffer, offset + values.length * 8).fill(0x7f);
  return view;
}
