-- Real-time analytics on the session events of the data lake's Kinesis stream, in Flink SQL.
-- The one definition of what the application computes: flink/realtime/main.py runs it on
-- Managed Service for Apache Flink, test/flink runs it on a local mini-cluster. Only the
-- placeholders differ: ${source} (the connector options of the events) and ${sink_root} (where
-- the result tables are written: s3://<lake bucket>/realtime/ on AWS, a temporary folder in the tests).

-- The events as the producers send them (glue/curate/event_schema.json). `ts` is the event time:
-- the ISO-8601 `event_time` in UTC with milliseconds, as the producers write it
-- (2026-11-25T12:34:56.789Z). An event whose time has another shape (no milliseconds, an offset
-- instead of Z) gets 1970-01-01, which no window accepts, and is written to rejected_events instead.
-- The watermark trails the latest event time seen by 30 seconds: an event up to 30 s older than
-- the newest one still counts in its minute. Later than that, its minute has been emitted.
CREATE TABLE session_events (
  event_id STRING,
  event_time STRING,
  user_id STRING,
  device STRING,
  channel STRING,
  country STRING,
  page_views INT,
  session_seconds DOUBLE,
  cart_value DOUBLE,
  discount_pct DOUBLE,
  purchased INT,
  ts AS COALESCE(
    CASE WHEN CHAR_LENGTH(event_time) = 24 AND SUBSTRING(event_time FROM 11 FOR 1) = 'T' AND SUBSTRING(event_time FROM 24) = 'Z'
      THEN TO_TIMESTAMP(REPLACE(SUBSTRING(event_time FROM 1 FOR 23), 'T', ' '), 'yyyy-MM-dd HH:mm:ss.SSS') END,
    TIMESTAMP '1970-01-01 00:00:00'),
  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (
  ${source},
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

CREATE TEMPORARY VIEW timed_events AS
SELECT
  ts,
  COALESCE(channel, 'unknown') AS channel,
  COALESCE(device, 'unknown') AS device,
  COALESCE(country, 'unknown') AS country,
  CASE WHEN purchased = 1 THEN 1 ELSE 0 END AS is_order,
  CASE WHEN purchased = 1 THEN COALESCE(cart_value, 0) ELSE 0 END AS order_value
FROM session_events
WHERE ts > TIMESTAMP '1970-01-01 00:00:00';

-- 1. Per minute, by channel and device: sessions, orders, conversion rate and revenue (the cart
--    value of the sessions that ended with an order), in tumbling one-minute windows.
CREATE TABLE minute_metrics (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  channel STRING,
  device STRING,
  sessions BIGINT,
  orders BIGINT,
  conversion_rate DOUBLE,
  revenue DOUBLE,
  dt STRING
) PARTITIONED BY (dt) WITH (
  'connector' = 'filesystem',
  'path' = '${sink_root}minute_metrics/',
  'format' = 'json',
  'json.timestamp-format.standard' = 'SQL',
  -- A file is finished (and visible) at the first checkpoint after it is a minute old.
  'sink.rolling-policy.rollover-interval' = '1 min',
  'sink.rolling-policy.check-interval' = '10 s'
);

INSERT INTO minute_metrics
SELECT
  window_start,
  window_end,
  channel,
  device,
  COUNT(*) AS sessions,
  CAST(SUM(is_order) AS BIGINT) AS orders,
  CAST(SUM(is_order) AS DOUBLE) / COUNT(*) AS conversion_rate,
  ROUND(SUM(order_value), 2) AS revenue,
  DATE_FORMAT(window_start, 'yyyy-MM-dd') AS dt
FROM TABLE(TUMBLE(TABLE timed_events, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, channel, device;

-- 2. The leaderboard: the 5 countries with the most revenue over the last 10 minutes, updated
--    every minute (a sliding window), ties broken by country code.
CREATE TABLE country_leaderboard (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  rank_in_window BIGINT,
  country STRING,
  revenue DOUBLE,
  orders BIGINT,
  dt STRING
) PARTITIONED BY (dt) WITH (
  'connector' = 'filesystem',
  'path' = '${sink_root}country_leaderboard/',
  'format' = 'json',
  'json.timestamp-format.standard' = 'SQL',
  -- A file is finished (and visible) at the first checkpoint after it is a minute old.
  'sink.rolling-policy.rollover-interval' = '1 min',
  'sink.rolling-policy.check-interval' = '10 s'
);

INSERT INTO country_leaderboard
SELECT window_start, window_end, rank_in_window, country, ROUND(revenue, 2), orders, DATE_FORMAT(window_start, 'yyyy-MM-dd')
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY revenue DESC, country ASC) AS rank_in_window
  FROM (
    SELECT window_start, window_end, country, SUM(order_value) AS revenue, CAST(SUM(is_order) AS BIGINT) AS orders
    FROM TABLE(HOP(TABLE timed_events, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '10' MINUTE))
    GROUP BY window_start, window_end, country
  )
)
WHERE rank_in_window <= 5;

-- 3. The anomaly flag: each minute's conversion rate (all channels) against the mean of the
--    10 minutes before it. The band is 3 standard deviations of what the minute's rate could
--    differ by: the variance of those minutes plus the sampling variance of a rate over this
--    minute's sessions (p(1-p)/n: 30 sessions move a 35 % rate by +-9 points by chance alone),
--    and at least 5 percentage points. A minute needs 5 minutes of history to be flagged. Flink's
--    OVER windows end at the current row, so the history is the 11-row window minus the current minute.
CREATE TEMPORARY VIEW minute_conversion AS
SELECT window_start, window_end, window_time, COUNT(*) AS sessions, CAST(SUM(is_order) AS BIGINT) AS orders,
  CAST(SUM(is_order) AS DOUBLE) / COUNT(*) AS rate
FROM TABLE(TUMBLE(TABLE timed_events, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, window_time;

CREATE TEMPORARY VIEW conversion_history AS
SELECT window_start, window_end, sessions, orders, rate,
  SUM(rate) OVER last_minutes - rate AS history_sum,
  SUM(rate * rate) OVER last_minutes - rate * rate AS history_squares,
  COUNT(*) OVER last_minutes - 1 AS history_minutes
FROM minute_conversion
WINDOW last_minutes AS (ORDER BY window_time ROWS BETWEEN 10 PRECEDING AND CURRENT ROW);

CREATE TABLE conversion_anomalies (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  sessions BIGINT,
  orders BIGINT,
  conversion_rate DOUBLE,
  baseline_mean DOUBLE,
  band DOUBLE,
  history_minutes BIGINT,
  anomaly BOOLEAN,
  dt STRING
) PARTITIONED BY (dt) WITH (
  'connector' = 'filesystem',
  'path' = '${sink_root}conversion_anomalies/',
  'format' = 'json',
  'json.timestamp-format.standard' = 'SQL',
  -- A file is finished (and visible) at the first checkpoint after it is a minute old.
  'sink.rolling-policy.rollover-interval' = '1 min',
  'sink.rolling-policy.check-interval' = '10 s'
);

INSERT INTO conversion_anomalies
SELECT window_start, window_end, sessions, orders, rate, mean, band, history_minutes,
  history_minutes >= 5 AND ABS(rate - mean) > band AS anomaly,
  DATE_FORMAT(window_start, 'yyyy-MM-dd')
FROM (
  SELECT window_start, window_end, sessions, orders, rate, history_minutes,
    CASE WHEN history_minutes > 0 THEN history_sum / history_minutes END AS mean,
    GREATEST(0.05, 3 * SQRT(
      GREATEST(0.0, history_squares / history_minutes - (history_sum / history_minutes) * (history_sum / history_minutes))
      + (history_sum / history_minutes) * (1 - history_sum / history_minutes) / sessions)) AS band
  FROM conversion_history
  WHERE history_minutes > 0
  UNION ALL
  SELECT window_start, window_end, sessions, orders, rate, history_minutes, CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE)
  FROM conversion_history
  WHERE history_minutes = 0
);

-- 4. What no window counted, so nothing is lost silently: events whose minute had already been
--    emitted when they arrived (the watermark had passed its end: the same test the window
--    operators make), and events whose time did not parse. Each keeps its id and raw time; the
--    raw zone of the lake (Firehose) has every event anyway.
CREATE TABLE rejected_events (
  event_id STRING,
  event_time STRING,
  reason STRING,
  watermark_at_arrival TIMESTAMP(3),
  dt STRING
) PARTITIONED BY (dt) WITH (
  'connector' = 'filesystem',
  'path' = '${sink_root}rejected_events/',
  'format' = 'json',
  'json.timestamp-format.standard' = 'SQL',
  -- A file is finished (and visible) at the first checkpoint after it is a minute old.
  'sink.rolling-policy.rollover-interval' = '1 min',
  'sink.rolling-policy.check-interval' = '10 s'
);

INSERT INTO rejected_events
SELECT event_id, event_time,
  CASE WHEN ts = TIMESTAMP '1970-01-01 00:00:00' THEN 'event_time is not ISO-8601 UTC with milliseconds'
    ELSE 'late: its minute had been emitted' END,
  CURRENT_WATERMARK(ts),
  DATE_FORMAT(COALESCE(CURRENT_WATERMARK(ts), ts), 'yyyy-MM-dd')
FROM session_events
WHERE ts = TIMESTAMP '1970-01-01 00:00:00'
  OR CURRENT_WATERMARK(ts) >= FLOOR(ts TO MINUTE) + INTERVAL '1' MINUTE - INTERVAL '0.001' SECOND;
