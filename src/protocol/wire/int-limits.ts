/** The bounds of Kafka's fixed-width wire integers (`INT32`, `INT64`), which also bound its INT and LONG configs. */
export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;
export const INT64_MAX = 0x7fffffffffffffffn;
export const INT64_MIN = -0x8000000000000000n;
