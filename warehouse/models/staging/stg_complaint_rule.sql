-- When a post reads like a complaint: any of these patterns (case-insensitive, on word boundaries) in its text.
-- The same rule in every language we expect to see; README "How the numbers are made" lists it.
with

patterns as (
    select * from (values
        ('en', 'is down|are down|was down|went down|down again|down for (everyone|anyone|me)|not working|isn''t working|stopped working|not loading|won''t load|can''t (log ?in|login|connect|access|sign in)|cannot (log ?in|connect|access)|outage|unavailable|not responding|error (5\d\d|4\d\d)|(5\d\d|504|503|502) error|service disruption'),
        ('es', 'no funciona|se cay[oó]|est[aá] ca[ií]d[oa]|ca[ií]da del servicio|sin servicio'),
        ('pt', 'fora do ar|n[aã]o funciona|caiu|inst[aá]vel'),
        ('fr', 'en panne|ne marche pas|ne fonctionne pas|hors service'),
        ('de', 'funktioniert nicht|ausgefallen|st[oö]rung|geht nicht'),
        ('it', 'non funziona|[eè] gi[uù]|disservizio'),
        ('nl', 'storing|werkt niet|ligt eruit'),
        ('ja', '落ちてる|落ちた|障害|繋がらない|つながらない|不具合')
    ) as t(lang, pattern)
),

final as (
    select
        'complaint_phrases_v1' as rule_name,
        '(' || string_agg(pattern, '|' order by lang) || ')' as pattern,
        interval 60 minute as repeat_window
    from patterns
)

select * from final
