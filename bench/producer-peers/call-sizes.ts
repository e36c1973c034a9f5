/** Records per send() call for KafkaJS, which has no accumulator (its users batch by hand). */
export const PER_CALL = 100;
/** Records per send() call for @platformatic/kafka, which must not have two calls outstanding (see node-driver.ts). */
export const PLATFORMATIC_PER_CALL = 1_000;
