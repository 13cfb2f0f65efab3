/** GetImages: one request covers at most 300 s, and samples no closer than 200 ms (KVS API reference,
 * GetImages: https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_reader_GetImages.html). */
export const GET_IMAGES_MAX_RANGE_MS = 300_000;
export const GET_IMAGES_MIN_INTERVAL_MS = 200;
