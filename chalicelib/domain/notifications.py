"""SMS texts: templates in four languages, rendering, and segment counting.

Texts never carry names or identity numbers: only the application reference, programmes, amounts and
months. Latin Uzbek and Karakalpak are written with the ASCII apostrophe (o', g') so they stay in
the GSM-7 alphabet (160 characters a segment); Cyrillic needs UCS-2 (70 a segment, 67 when split).
A decision SMS must fit in two segments; ``render`` shortens the list of reasons if it would not.
The outcome of a change request (``change_approved``, ``change_rejected``) fits in two segments too: it
names the request's reference, its kind and the rejection reason in the family's language.
``decision_delayed`` tells the family, once, that an agency's answer is awaited (the workflow waits it
out before any review). A grievance's SMS (``grievance_*``) names its reference, its last day or its
outcome; an appeal denied (``appeal_denied``) says why and where to go further: the district
administration (hokimiyat), then the court.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("uz-Latn", "uz-Cyrl", "ru", "kaa")
EVENTS = ("received", "assigned", "rejected", "needs_review", "decision_delayed", "payment_credited", "change_approved",
          "change_rejected", "grievance_received", "grievance_in_review", "grievance_extended",
          "grievance_escalated", "grievance_resolved", "grievance_rejected", "appeal_upheld", "appeal_denied")
GRIEVANCE_EVENTS = ("grievance_resolved", "grievance_rejected")
DECISION_EVENTS = ("assigned", "rejected")
MAX_DECISION_SEGMENTS = 2

TEMPLATES: dict[str, dict[str, str]] = {
    "uz-Latn": {
        "received": "Arizangiz qabul qilindi. Raqam: {ref}. Qaror {due} gacha SMS orqali yuboriladi.",
        "assigned": "Ariza {ref}: tayinlandi, {first} dan: {items}.",
        "rejected": "Ariza {ref}: rad etildi. Sabab: {reasons}. Savollar bo'lsa mahallaga murojaat qiling.",
        "needs_review": "Ariza {ref}: qo'shimcha tekshiruvda ({sources}). Xodim {due} gacha bog'lanadi.",
        "decision_delayed": "Ariza {ref}: davlat idoralaridan javob kutilmoqda, qaror kechikadi. "
                            "Qaror {due} gacha yuboriladi.",
        "payment_credited": "{month} uchun {amount} so'm kartangizga o'tkazildi ({programme}).",
        "change_approved": "So'rov {ref} ({kind}): tasdiqlandi. Siz so'ramagan bo'lsangiz, mahallaga murojaat qiling.",
        "change_rejected": "So'rov {ref} ({kind}): rad etildi. Sabab: {reason}. "
            "Savollar bo'lsa mahallaga murojaat qiling.",
        "grievance_received": "Murojaatingiz qabul qilindi. Raqam: {ref}. Javob {due} gacha beriladi.",
        "grievance_in_review": "Murojaat {ref}: ko'rib chiqilmoqda. Javob {due} gacha.",
        "grievance_extended": "Murojaat {ref}: qo'shimcha tekshiruv kerak. Javob muddati {due} gacha uzaytirildi.",
        "grievance_escalated": "Murojaat {ref}: viloyatga yuborildi. Javob {due} gacha.",
        "grievance_resolved": "Murojaat {ref}: hal qilindi ({outcome}). Baholashingizni so'raymiz.",
        "grievance_rejected": "Murojaat {ref}: rad etildi ({outcome}). "
            "Rozi bo'lmasangiz tuman hokimligiga, so'ng sudga murojaat qiling.",
        "appeal_upheld": "Shikoyat {ref}: qanoatlantirildi. Yangi qaror SMS orqali yuboriladi.",
        "appeal_denied": "Shikoyat {ref}: rad etildi. Sabab: {reasons}. "
            "Rozi bo'lmasangiz tuman hokimligiga, so'ng sudga murojaat qiling.",
    },
    "uz-Cyrl": {
        "received": "Аризангиз қабул қилинди. Рақам: {ref}. Қарор {due} гача SMS орқали юборилади.",
        "assigned": "Ариза {ref}: тайинланди, {first} дан: {items}.",
        "rejected": "Ариза {ref}: рад этилди. Сабаб: {reasons}. Саволлар учун маҳаллага мурожаат қилинг.",
        "needs_review": "Ариза {ref}: қўшимча текширувда ({sources}). Ходим {due} гача боғланади.",
        "decision_delayed": "Ариза {ref}: давлат идораларидан жавоб кутилмоқда, қарор кечикади. "
                            "Қарор {due} гача юборилади.",
        "payment_credited": "{month} учун {amount} сўм картангизга ўтказилди ({programme}).",
        "change_approved": "Сўров {ref} ({kind}): тасдиқланди. Сўрамаган бўлсангиз, маҳаллага мурожаат қилинг.",
        "change_rejected": "Сўров {ref} ({kind}): рад этилди. Сабаб: {reason}. "
            "Саволлар учун маҳаллага мурожаат қилинг.",
        "grievance_received": "Мурожаатингиз қабул қилинди. Рақам: {ref}. Жавоб {due} гача берилади.",
        "grievance_in_review": "Мурожаат {ref}: кўриб чиқилмоқда. Жавоб {due} гача.",
        "grievance_extended": "Мурожаат {ref}: қўшимча текширув. Муддат {due} гача узайтирилди.",
        "grievance_escalated": "Мурожаат {ref}: вилоятга юборилди. Жавоб {due} гача.",
        "grievance_resolved": "Мурожаат {ref}: ҳал қилинди ({outcome}). Баҳолашингизни сўраймиз.",
        "grievance_rejected": "Мурожаат {ref}: рад этилди ({outcome}). Рози бўлмасангиз туман ҳокимлигига, сўнг судга.",
        "appeal_upheld": "Шикоят {ref}: қаноатлантирилди. Янги қарор SMS орқали юборилади.",
        "appeal_denied": "Шикоят {ref}: рад этилди. Сабаб: {reasons}. Рози бўлмасангиз туман ҳокимлигига, сўнг судга.",
    },
    "ru": {
        "received": "Заявка принята. Номер: {ref}. Решение придёт по SMS до {due}.",
        "assigned": "Заявка {ref}: назначено с {first}: {items}.",
        "rejected": "Заявка {ref}: отказ. Причина: {reasons}. Вопросы - в махаллю.",
        "needs_review": "Заявка {ref}: на проверке ({sources}). Сотрудник свяжется до {due}.",
        "decision_delayed": "Заявка {ref}: ждём ответа ведомств, решение задерживается. Решение придёт до {due}.",
        "payment_credited": "За {month} зачислено {amount} сум на карту ({programme}).",
        "change_approved": "Запрос {ref} ({kind}): одобрен. Если вы его не подавали, обратитесь в махаллю.",
        "change_rejected": "Запрос {ref} ({kind}): отклонён. Причина: {reason}. Вопросы - в махаллю.",
        "grievance_received": "Обращение принято. Номер: {ref}. Ответ до {due}.",
        "grievance_in_review": "Обращение {ref}: на рассмотрении. Ответ до {due}.",
        "grievance_extended": "Обращение {ref}: нужна доп. проверка. Срок ответа продлён до {due}.",
        "grievance_escalated": "Обращение {ref}: передано в область. Ответ до {due}.",
        "grievance_resolved": "Обращение {ref}: решено ({outcome}). Просим оценить работу.",
        "grievance_rejected": "Обращение {ref}: отклонено ({outcome}). "
            "Если не согласны - в хокимият района, затем в суд.",
        "appeal_upheld": "Жалоба {ref}: удовлетворена. Новое решение придёт по SMS.",
        "appeal_denied": "Жалоба {ref}: отклонена. Причина: {reasons}. "
            "Если не согласны - в хокимият района, затем в суд.",
    },
    "kaa": {
        "received": "Arzan'ız qabıl etildi. Nomer: {ref}. Sheshim {due} shekem SMS arqalı jiberiledi.",
        "assigned": "Arza {ref}: tayınlandı, {first} baslap: {items}.",
        "rejected": "Arza {ref}: biykarlandı. Sebep: {reasons}. Sorawlar bolsa mahallege murajat etin'.",
        "needs_review": "Arza {ref}: qosımsha tekseriwde ({sources}). Xızmetker {due} shekem baylanısadı.",
        "decision_delayed": "Arza {ref}: mamleketlik mekemelerden juwap kutilmekte, sheshim keshigedi. "
                            "Sheshim {due} shekem jiberiledi.",
        "payment_credited": "{month} ushın {amount} som kartan'ızg'a o'tkerildi ({programme}).",
        "change_approved": "Soraw {ref} ({kind}): tastıyıqlandı. Siz soramag'an bolsan'ız, mahallege murajat etin'.",
        "change_rejected": "Soraw {ref} ({kind}): biykarlandı. Sebep: {reason}. "
            "Sorawlar bolsa mahallege murajat etin'.",
        "grievance_received": "Murajatın'ız qabıl etildi. Nomer: {ref}. Juwap {due} shekem beriledi.",
        "grievance_in_review": "Murajat {ref}: ko'rip shıg'ılmaqta. Juwap {due} shekem.",
        "grievance_extended": "Murajat {ref}: qosımsha tekseriw kerek. Mu'ddet {due} shekem uzartıldı.",
        "grievance_escalated": "Murajat {ref}: wa'layatqa jiberildi. Juwap {due} shekem.",
        "grievance_resolved": "Murajat {ref}: sheshildi ({outcome}). Bahalawın'ızdı soraymız.",
        "grievance_rejected": "Murajat {ref}: biykarlandı ({outcome}). "
            "Kelispesen'iz rayon hakimiyatına, son' sudqa murajat etin'.",
        "appeal_upheld": "Shag'ım {ref}: qanaatlandırıldı. Jan'a sheshim SMS arqalı jiberiledi.",
        "appeal_denied": "Shag'ım {ref}: biykarlandı. Sebep: {reasons}. "
            "Kelispesen'iz rayon hakimiyatına, son' sudqa murajat etin'.",
    },
}

PROGRAMMES: dict[str, dict[str, str]] = {
    "uz-Latn": {"child_allowance": "bolalar nafaqasi", "material_assistance": "moddiy yordam",
                "disabled_child_caregiver": "nogiron bola parvarishi", "maternity_non_state": "onalik nafaqasi"},
    "uz-Cyrl": {"child_allowance": "болалар нафақаси", "material_assistance": "моддий ёрдам",
                "disabled_child_caregiver": "ногирон бола парвариши", "maternity_non_state": "оналик нафақаси"},
    "ru": {"child_allowance": "на детей", "material_assistance": "матпомощь",
           "disabled_child_caregiver": "ребёнок-инвалид", "maternity_non_state": "по материнству"},
    "kaa": {"child_allowance": "balalar napaqası", "material_assistance": "materiallıq ja'rdem",
            "disabled_child_caregiver": "mu'ge'k bala qarawı", "maternity_non_state": "analıq napaqası"},
}

PER_MONTH = {"uz-Latn": "so'm/oy", "uz-Cyrl": "сўм/ой", "ru": "сум/мес", "kaa": "som/ay"}
ONCE = {"uz-Latn": "so'm bir marta", "uz-Cyrl": "сўм бир марта", "ru": "сум разово", "kaa": "som bir ret"}
MORE = {"uz-Latn": "va boshqalar", "uz-Cyrl": "ва бошқалар", "ru": "и другие", "kaa": "h.t.b"}

REASONS: dict[str, dict[str, str]] = {
    "uz-Latn": {"income_above_threshold": "daromad chegaradan yuqori",
                "idle_working_age_member": "ishlamayotgan mehnatga layoqatli a'zo",
                "asset_vehicle": "avtomobil", "asset_real_estate": "ko'chmas mulk",
                "asset_securities": "qimmatli qog'ozlar", "no_child_under_18": "18 yoshgacha bola yo'q",
                "has_child_under_18": "18 yoshgacha bola bor", "no_qualifying_disabled_child": "nogiron bola yo'q",
                "no_recent_birth": "yaqinda tug'ilgan bola yo'q", "not_non_state_worker": "nodavlat sektorida emas",
                "rule_not_in_force": "dastur hali amalda emas"},
    "uz-Cyrl": {"income_above_threshold": "даромад чегарадан юқори",
                "idle_working_age_member": "ишламаётган меҳнатга лаёқатли аъзо",
                "asset_vehicle": "автомобиль", "asset_real_estate": "кўчмас мулк",
                "asset_securities": "қимматли қоғозлар", "no_child_under_18": "18 ёшгача бола йўқ",
                "has_child_under_18": "18 ёшгача бола бор", "no_qualifying_disabled_child": "ногирон бола йўқ",
                "no_recent_birth": "яқинда туғилган бола йўқ", "not_non_state_worker": "нодавлат секторида эмас",
                "rule_not_in_force": "дастур ҳали амалда эмас"},
    "ru": {"income_above_threshold": "доход выше порога",
           "idle_working_age_member": "трудоспособный без дохода",
           "asset_vehicle": "автомобиль", "asset_real_estate": "недвижимость", "asset_securities": "ценные бумаги",
           "no_child_under_18": "нет детей до 18", "has_child_under_18": "есть дети до 18",
           "no_qualifying_disabled_child": "нет ребёнка-инвалида", "no_recent_birth": "нет недавних родов",
           "not_non_state_worker": "не в негосударственном секторе", "rule_not_in_force": "программа ещё не действует"},
    "kaa": {"income_above_threshold": "da'ramat shegaradan joqarı",
            "idle_working_age_member": "islemeytug'ın miynetke jaramlı ag'za",
            "asset_vehicle": "avtomobil", "asset_real_estate": "ko'shpes mu'lik",
            "asset_securities": "bahalı qag'azlar", "no_child_under_18": "18 jasqa shekem bala joq",
            "has_child_under_18": "18 jasqa shekem bala bar", "no_qualifying_disabled_child": "mu'ge'k bala joq",
            "no_recent_birth": "jaqında tuwılg'an bala joq", "not_non_state_worker": "mamleketlik emes sektorda emes",
            "rule_not_in_force": "bag'darlama ele ku'shke kirmegen"},
}

# What a change request was about, and why one was rejected (chalicelib.domain.change_requests).
CHANGE_KINDS: dict[str, dict[str, str]] = {
    "uz-Latn": {"payout_account": "to'lov kartasi", "phone": "telefon raqami", "address": "manzil",
                "member_moves_in": "yangi a'zo", "member_moves_out": "a'zo ketishi", "death": "a'zo vafoti"},
    "uz-Cyrl": {"payout_account": "тўлов картаси", "phone": "телефон рақами", "address": "манзил",
                "member_moves_in": "янги аъзо", "member_moves_out": "аъзо кетиши", "death": "аъзо вафоти"},
    "ru": {"payout_account": "карта для выплат", "phone": "номер телефона", "address": "адрес",
           "member_moves_in": "новый член семьи", "member_moves_out": "выбытие члена семьи",
           "death": "смерть члена семьи"},
    "kaa": {"payout_account": "to'lew kartası", "phone": "telefon nomeri", "address": "ma'nzil",
            "member_moves_in": "jan'a ag'za", "member_moves_out": "ag'zanın' ketiwi",
            "death": "ag'zanın' qaytıs bolıwı"},
}

CHANGE_REJECTIONS: dict[str, dict[str, str]] = {
    "uz-Latn": {"documents_missing": "hujjatlar yetarli emas", "not_confirmed": "ma'lumot tasdiqlanmadi",
                "duplicate": "takroriy so'rov", "no_longer_applies": "so'rov endi dolzarb emas",
                "other": "boshqa sabab"},
    "uz-Cyrl": {"documents_missing": "ҳужжатлар етарли эмас", "not_confirmed": "маълумот тасдиқланмади",
                "duplicate": "такрорий сўров", "no_longer_applies": "сўров энди долзарб эмас",
                "other": "бошқа сабаб"},
    "ru": {"documents_missing": "не хватает документов", "not_confirmed": "сведения не подтверждены",
           "duplicate": "повторный запрос", "no_longer_applies": "запрос больше не актуален",
           "other": "иная причина"},
    "kaa": {"documents_missing": "hu'jjetler jetkiliksiz", "not_confirmed": "mag'lıwmat tastıyıqlanbadı",
            "duplicate": "qaytalang'an soraw", "no_longer_applies": "soraw endi a'hmiyetli emes",
            "other": "basqa sebep"},
}

# What a closed grievance's outcome was (chalicelib.domain.grievances RESOLUTIONS and REJECTIONS).
GRIEVANCE_OUTCOMES: dict[str, dict[str, str]] = {
    "uz-Latn": {"corrected": "ma'lumot tuzatildi", "explained": "tushuntirildi", "paid": "to'lov amalga oshirildi",
                "referred": "tegishli xizmatga yuborildi", "upheld": "qanoatlantirildi",
                "unfounded": "asossiz", "duplicate": "takroriy", "not_competent": "vakolatga kirmaydi",
                "withdrawn": "qaytarib olindi", "appeal_denied": "shikoyat rad etildi"},
    "uz-Cyrl": {"corrected": "маълумот тузатилди", "explained": "тушунтирилди", "paid": "тўлов амалга оширилди",
                "referred": "тегишли хизматга юборилди", "upheld": "қаноатлантирилди",
                "unfounded": "асоссиз", "duplicate": "такрорий", "not_competent": "ваколатга кирмайди",
                "withdrawn": "қайтариб олинди", "appeal_denied": "шикоят рад этилди"},
    "ru": {"corrected": "данные исправлены", "explained": "дано разъяснение", "paid": "выплата произведена",
           "referred": "направлено в службу", "upheld": "удовлетворено", "unfounded": "необоснованно",
           "duplicate": "повторное", "not_competent": "вне компетенции", "withdrawn": "отозвано",
           "appeal_denied": "жалоба отклонена"},
    "kaa": {"corrected": "mag'lıwmat du'zetildi", "explained": "tu'sindirildi", "paid": "to'lem a'melge asırıldı",
            "referred": "tiyisli xızmetke jiberildi", "upheld": "qanaatlandırıldı", "unfounded": "tiykarsız",
            "duplicate": "qaytalang'an", "not_competent": "wa'killiginde emes", "withdrawn": "qaytarıp alındı",
            "appeal_denied": "shag'ım biykarlandı"},
}

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Sms:
    text: str
    encoding: str  # GSM-7 or UCS-2
    segments: int


def measure(text: str) -> Sms:
    """The encoding an SMS needs and how many segments it takes."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        units = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return Sms(text=text, encoding=encoding, segments=segments)


def _amount(value: int) -> str:
    return str(value)


def _item(lang: str, programme: str, monthly: int, lump: int, detailed: bool) -> str:
    name = PROGRAMMES[lang][programme]
    if not detailed:
        return name
    return f"{name} {_amount(monthly)} {PER_MONTH[lang]}" if monthly else f"{name} {_amount(lump)} {ONCE[lang]}"


def render(event: str, language: str, params: dict[str, object]) -> Sms:
    """The SMS for ``event`` in ``language`` (falls back to uz-Latn for an unknown language).

    params: ref, due, first (month), items [(programme, monthly_amount, lump_sum)], reasons [codes],
    sources [agency names], month, amount, programme.
    """
    lang = language if language in LANGUAGES else "uz-Latn"
    values: dict[str, object] = dict(params)
    if event == "assigned":
        # Full amounts when they fit in two segments, else the programme names alone.
        triples = list(params.get("items", []))  # type: ignore[call-overload]
        for detailed in (True, False):
            values["items"] = "; ".join(_item(lang, p, m, lump, detailed) for p, m, lump in triples)
            sms = measure(TEMPLATES[lang][event].format(**values))
            if sms.segments <= MAX_DECISION_SEGMENTS:
                return sms
        return sms
    if event == "payment_credited":
        values["programme"] = PROGRAMMES[lang].get(str(params.get("programme")), str(params.get("programme")))
        values["amount"] = _amount(int(params.get("amount", 0)))  # type: ignore[call-overload]
    if event in ("change_approved", "change_rejected"):
        values["kind"] = CHANGE_KINDS[lang].get(str(params.get("kind")), str(params.get("kind")))
        values["reason"] = CHANGE_REJECTIONS[lang].get(str(params.get("reason")), str(params.get("reason")))
    if event in GRIEVANCE_EVENTS:
        values["outcome"] = GRIEVANCE_OUTCOMES[lang].get(str(params.get("outcome")), str(params.get("outcome")))
    if event == "needs_review":
        values["sources"] = ", ".join(str(s) for s in params.get("sources", []))  # type: ignore[attr-defined]
    if event in ("rejected", "appeal_denied"):
        codes = [str(c) for c in params.get("reasons", [])]  # type: ignore[attr-defined]
        # Shorten the list of reasons until the decision fits in two segments.
        for keep in range(len(codes), 0, -1):
            shown = [REASONS[lang].get(c, c) for c in codes[:keep]]
            values["reasons"] = ", ".join(shown) + (f" {MORE[lang]}" if keep < len(codes) else "")
            sms = measure(TEMPLATES[lang][event].format(**values))
            if sms.segments <= MAX_DECISION_SEGMENTS:
                return sms
    return measure(TEMPLATES[lang][event].format(**values))
