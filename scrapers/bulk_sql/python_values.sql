-- Macros that give, in SQL, what Python gives for the same value: the set-based readers (scrapers/bulk_*.py) use
-- them to write landing rows and version hashes byte for byte as the Python parser and scrapers/landing_rows.py do.
-- Each is exact for the inputs it accepts and NULL (or a refusal the reader checks) for any other.

-- json.dumps(s) of a str (ensure_ascii: printable ASCII as is, the short escapes, anything else as \uXXXX with
-- lowercase hex, an astral character as its surrogate pair); 'null' for NULL.
CREATE OR REPLACE TEMP MACRO py_json_char(c) AS
    CASE
        WHEN c = '"' THEN '\"'
        WHEN c = '\' THEN '\\'
        WHEN unicode(c) = 10 THEN '\n'
        WHEN unicode(c) = 13 THEN '\r'
        WHEN unicode(c) = 9 THEN '\t'
        WHEN unicode(c) = 8 THEN '\b'
        WHEN unicode(c) = 12 THEN '\f'
        WHEN unicode(c) BETWEEN 32 AND 126 THEN c
        WHEN unicode(c) < 65536 THEN printf('\u%04x', unicode(c))
        ELSE printf(
            '\u%04x\u%04x', 55296 + ((unicode(c) - 65536) >> 10), 56320 + ((unicode(c) - 65536) & 1023)
        )
    END;

CREATE OR REPLACE TEMP MACRO py_json_str(s) AS
    CASE
        WHEN s IS NULL THEN 'null'
        -- printable ASCII without a quote or a backslash: as it is
        WHEN NOT regexp_matches(s, '[^ !#-\[\]-~]') THEN '"' || s || '"'
        -- printable ASCII and line breaks or tabs: five replacements
        WHEN NOT regexp_matches(s, '[^\t\n\r -~]') THEN '"' || replace(replace(replace(replace(replace(
            s, '\', '\\'), '"', '\"'), chr(10), '\n'), chr(13), '\r'), chr(9), '\t') || '"'
        ELSE '"' || array_to_string(list_transform(string_split(s, ''), lambda c: py_json_char(c)), '') || '"'
    END;

-- json.dumps(s) of a str known to be printable ASCII without a quote or a backslash (an isoformat time, a word of our
-- vocabulary); 'null' for NULL
CREATE OR REPLACE TEMP MACRO py_json_plain(s) AS coalesce('"' || s || '"', 'null');

-- datetime.isoformat() of an aware UTC datetime (microseconds only when there are some)
CREATE OR REPLACE TEMP MACRO py_iso(t) AS
    CASE
        WHEN t IS NULL THEN NULL
        WHEN epoch_us(t) % 1000000 = 0 THEN strftime(t AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S+00:00')
        ELSE strftime(t AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f+00:00')
    END;

-- scrapers.timeparse.parse_iso_utc(s) for the ISO 8601 forms DuckDB reads the same way (date, T, time with seconds,
-- up to six decimals, Z or an offset); NULL for any other text (which the Python parser then reads, or refuses).
CREATE OR REPLACE TEMP MACRO py_iso_utc(s) AS
    CASE
        WHEN regexp_full_match(
            s,
            '[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?'
            || '(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])'
        ) THEN try_cast(s AS TIMESTAMPTZ)
    END;

-- scrapers.plausibility.implausible_time is None: from 2000 on and, unless planned, at most a day after the later of
-- the fetch and now
CREATE OR REPLACE TEMP MACRO py_plausible(t, fetched_at, planned) AS
    t >= TIMESTAMPTZ '2000-01-01 00:00:00+00'
    AND (planned OR t <= greatest(fetched_at, now()) + INTERVAL 1 DAY);

-- A JSON value read as the JSON type: the str it holds when it is a JSON string, else NULL; and whether it is a
-- string or null (absent), the only values the readers take for a field Python would pass through str()
CREATE OR REPLACE TEMP MACRO json_str(j) AS CASE WHEN starts_with(j, '"') THEN json_extract_string(j, '$') END;

CREATE OR REPLACE TEMP MACRO json_str_or_null(j) AS j IS NULL OR starts_with(j, '"');

-- The nan, inf and infinity (any case, signed or not) that DuckDB's JSON reader takes as numbers and json.loads
-- refuses: a pattern for what follows the comma, colon or bracket before such a value up to the one after it
CREATE OR REPLACE TEMP MACRO json_non_finite() AS
    '[ \t\n\r]*[-+]?(?:[nN][aA][nN]|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)[ \t\n\r]*[,\]}]';
