-- The window of time a read of a post source asked for, from the meta its fetch record keeps: since/until (ISO 8601)
-- or a window of epoch seconds [from, until) (hackernews). NULL when the read carried none.
CREATE OR REPLACE MACRO read_window(meta) AS {
    'read_from': coalesce(
        try_cast(json_extract_string(meta, '$.since') as timestamptz),
        to_timestamp(try_cast(json_extract_string(meta, '$.window[0]') as double))
    ),
    'read_until': coalesce(
        try_cast(json_extract_string(meta, '$.until') as timestamptz),
        to_timestamp(try_cast(json_extract_string(meta, '$.window[1]') as double))
    )
}
