/**
 * The one rule every handler uses to turn the object key an S3 event carries into the key of the
 * object: video (lambda/video) and speech (lambda/speech) alike.
 *
 * S3 event notifications carry the key URL-encoded form-style: a space arrives as `+`, other
 * characters as `%XX` UTF-8 bytes ("Event message structure", Amazon S3 User Guide:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html, "The s3
 * key provides information about the bucket and object involved in the event. The object key name
 * value is URL encoded"). The EventBridge event S3 sends says nothing about encoding on its page,
 * and arrives in the same encoded form. So the decoded key is the object's key, and is tried
 * first; the key exactly as received is the fallback, for a producer that put an unencoded key on
 * the queue (a literal `+` or `%` in its name). The caller confirms which exists with HeadObject.
 */

/**
 * Decode an S3 event key: `+` means space, then percent-decoding of UTF-8 bytes. A malformed
 * escape (a lone `%`, or bytes that are not UTF-8) means the key was not encoded at all: it is
 * returned unchanged.
 */
export function decodeS3Key(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Keys to look for, in order: the decoded key, then the key as received when it differs. */
export function s3KeyCandidates(eventKey: string): string[] {
  const decoded = decodeS3Key(eventKey);
  return decoded === eventKey ? [eventKey] : [decoded, eventKey];
}
