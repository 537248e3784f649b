-- When a post reads like a complaint: its lower-cased text (without the words its source searched for, see
-- stg_complaints) matches any of these patterns (regular expressions, RE2). The same rule in every language we expect
-- to see; README "How the numbers are made" lists it, and tests/fixtures/complaints_labelled.csv measures it
-- (bench: python -m bench complaints).
-- A macro with a constant body, not a view column, so that regexp_matches(lower_text, complaint_pattern()) compiles
-- the pattern once per query instead of once per row. The languages are joined in this order (by language code),
-- which is the pattern published by stg_complaint_rule.
CREATE OR REPLACE MACRO complaint_pattern() AS '(' || concat_ws('|',
    -- de
    'funktioniert nicht|ausgefallen|st[oö]rung|geht nicht|ist (gerade |schon wieder )?down|l[aä]dt nicht|'
        || 'nicht erreichbar|bei (euch|dir|ihnen) auch|fehler ?5\d\d',
    -- en: what is said of it ...
    'is down|are down|was down|(is|are) broken|went down|down again|(still|completely|totally) down|down right now|'
        || 'not working|isn''t working|stopped working|not loading|won''t load|isn''t loading|doesn''t load|'
        || '(can''t|cannot|can not|unable to) (log ?in|login|connect|access|sign in|load|reach|open)|'
        || 'outage|unavailable|not responding|keeps crashing|tim(es|ed|ing) out|service disruption|'
        -- ... what is asked ...
        || '\bis ([a-z0-9.+&''-]+ ){1,3}(down|broken|offline)\b|\bdown\?|'
        || 'down for (everyone|anyone|anybody|everybody|me|you|all|others)|is it (just )?me\b|'
        || '(anyone|anybody) else (having|getting|seeing|experiencing)|'
        || '(having|getting|experiencing) (issues|problems|trouble|errors) (with|on|logging)|'
        -- ... and what the page says
        || 'error (5\d\d|4\d\d)|(5\d\d|504|503|502) error|(http|status|code) ?5\d\d|'
        || 'bad gateway|gateway time-?out|internal server error|something went wrong',
    -- es
    'no funciona|se cay[oó]|est[aá] ca[ií]d[oa]|ca[ií]da del servicio|sin servicio|no carga|'
        || 'no me (deja|carga)|alguien m[aá]s|est[aá] down',
    -- fr
    'en panne|ne marche (pas|plus)|ne fonctionne (pas|plus)|hors service|ne (charge|r[eé]pond) (pas|plus)|'
        || 'impossible de (se |me )?(connecter|charger|acc[eé]der)|est down|chez vous aussi|erreur ?5\d\d',
    -- it
    'non funziona|[eè] gi[uù]|disservizio|non (carica|si apre)|anche a voi|[eè] down|'
        || 'non riesco ad? (accedere|entrare|collegarmi)|errore ?5\d\d',
    -- ja
    '落ちてる|落ちた|障害|繋がらない|つながらない|不具合|読み込めない|ログインできない|使えない|5\d\dエラー|エラー ?5\d\d',
    -- nl
    'storing|werkt niet|ligt eruit|ligt plat|doet het niet|laadt niet|bij jullie ook|kan niet inloggen|fout(code)? ?5\d\d',
    -- pt
    'fora do ar|n[aã]o (funciona|carrega|abre)|caiu|inst[aá]vel|mais algu[eé]m|est[aá] (fora|down)|'
        || 'n[aã]o consigo (entrar|acessar|logar)|dando erro|erro ?5\d\d'
) || ')'
