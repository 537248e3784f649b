-- When a post reads like a complaint: its lower-cased text matches any of these patterns (regular expressions).
-- The same rule in every language we expect to see; README "How the numbers are made" lists it.
-- A macro with a constant body, not a view column, so that regexp_matches(lower_text, complaint_pattern()) compiles
-- the pattern once per query instead of once per row. The languages are joined in this order (by language code),
-- which is the pattern published by stg_complaint_rule.
CREATE OR REPLACE MACRO complaint_pattern() AS '(' || concat_ws('|',
    -- de
    'funktioniert nicht|ausgefallen|st[oö]rung|geht nicht',
    -- en
    'is down|are down|was down|went down|down again|down for (everyone|anyone|me)|'
        || 'not working|isn''t working|stopped working|not loading|won''t load|'
        || 'can''t (log ?in|login|connect|access|sign in)|cannot (log ?in|connect|access)|'
        || 'outage|unavailable|not responding|error (5\d\d|4\d\d)|(5\d\d|504|503|502) error|service disruption',
    -- es
    'no funciona|se cay[oó]|est[aá] ca[ií]d[oa]|ca[ií]da del servicio|sin servicio',
    -- fr
    'en panne|ne marche pas|ne fonctionne pas|hors service',
    -- it
    'non funziona|[eè] gi[uù]|disservizio',
    -- ja
    '落ちてる|落ちた|障害|繋がらない|つながらない|不具合',
    -- nl
    'storing|werkt niet|ligt eruit',
    -- pt
    'fora do ar|n[aã]o funciona|caiu|inst[aá]vel'
) || ')'
