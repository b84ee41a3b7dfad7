// A property made when first read and kept from then on: for data that many runs never look at
// (compiled renderings, file texts), so start-up does not pay for it.
export function withLazy<T extends object, K extends string, V>(target: T, key: K, make: () => V): T & Record<K, V> {
  let made: { value: V } | undefined;
  Object.defineProperty(target, key, { enumerable: true, get: () => (made ??= { value: make() }).value });
  return target as T & Record<K, V>;
}
