"""Survey definitions, customer survey answers and employee survey answers.

Customer answers follow the customer's satisfaction (so NPS predicts churn); employee
answers follow their department's morale. About 3 % of questions are skipped (null score,
legitimate), some answers carry a comment matching the score.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cx360.generate import vocab
from cx360.generate.columns import (
    DAY,
    Window,
    choice,
    explode,
    ids,
    numbers,
    pick,
    rng_for,
    score_on_scale,
    timestamps,
)
from cx360.generate.customers import World
from cx360.generate.frame import RawTable, make_table
from cx360.generate.identity import identity_only_rows
from cx360.generate.support import Staff

SURVEYS_PER_YEAR = 1.2
PROSPECT_SURVEYS_PER_YEAR = 0.2
SKIPPED_SHARE = 0.03
COMMENT_SHARE = 0.25
IDENTITY_ONLY_SHARE = 0.05
EMPLOYEE_PARTICIPATION = 0.75


def survey_definitions() -> RawTable:
    rows = [
        (survey_id, survey_type, question_id, text, lo, hi, pillar)
        for survey_id, survey_type, questions, lo, hi, _ in vocab.SURVEYS
        for question_id, text, pillar in questions
    ]
    survey_id, survey_type, questions, lo, hi = vocab.EMPLOYEE_SURVEY
    rows += [(survey_id, survey_type, q, text, lo, hi, p) for q, text, p in questions]
    cols = list(zip(*rows, strict=True))
    return make_table(
        "survey_definitions",
        None,
        survey_id=pa.array(cols[0], pa.string()),
        question_id=pa.array(cols[2], pa.string()),
        survey_type=pa.array(cols[1], pa.string()),
        question_text=pa.array(cols[3], pa.string()),
        scale_min=pa.array(cols[4], pa.float64()),
        scale_max=pa.array(cols[5], pa.float64()),
        pillar=pa.array(cols[6], pa.string()),
    )


def _question_table() -> tuple[np.ndarray, np.ndarray, list[str], list[str], np.ndarray]:
    """Per customer survey: first question row, question count; flat question ids, survey
    ids, and (min, max) per flat question."""
    first, count, qids, sids, scale = [], [], [], [], []
    for survey_id, _, questions, lo, hi, _ in vocab.SURVEYS:
        first.append(len(qids))
        count.append(len(questions))
        for question_id, _, _ in questions:
            qids.append(question_id)
            sids.append(survey_id)
            scale.append((lo, hi))
    return np.asarray(first), np.asarray(count), qids, sids, np.asarray(scale, dtype=float)


def _comments(
    score: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    rng: np.random.Generator,
    valid: np.ndarray,
) -> pa.Array:
    """A comment whose tone matches the score (low / middle / high third of the scale)."""
    third = np.clip(((score - lo) / (hi - lo + 1e-9) * 3).astype(int), 0, 2)
    pool = (*vocab.COMMENTS_LOW, *vocab.COMMENTS_MID, *vocab.COMMENTS_HIGH)
    return pick(pool, third * 4 + rng.integers(0, 4, score.shape[0]), valid=valid)


def make_survey_responses(seed: int, world: World) -> RawTable:
    rng = rng_for(seed, "survey_responses", world.shard.index)
    start, end = world.active_span()
    years = np.maximum(end - start, 0) / (365.25 * DAY)
    rate = np.where(world.is_prospect, PROSPECT_SURVEYS_PER_YEAR, SURVEYS_PER_YEAR) * years
    owner = explode(rng.poisson(rate))
    answered = start[owner] + (rng.random(owner.shape[0]) * (end - start)[owner]).astype(np.int64)
    order = np.lexsort((owner, answered))
    owner, answered = owner[order], answered[order]
    responses = owner.shape[0]
    survey = choice(rng, [s[5] for s in vocab.SURVEYS], responses)
    mood = world.satisfaction[owner] + rng.normal(0.0, 0.4, responses)
    touchpoint = choice(rng, vocab.TOUCHPOINT_WEIGHTS, responses)
    channel = choice(rng, vocab.SURVEY_CHANNEL_WEIGHTS, responses)
    identity_only, respondent_email, _ = identity_only_rows(
        rng, world, owner, IDENTITY_ONLY_SHARE, phones=False
    )
    commented = rng.random(responses) < COMMENT_SHARE

    first_q, q_count, qids, sids, scale = _question_table()
    response = explode(q_count[survey])
    question = first_q[survey][response] + (
        np.arange(response.shape[0])
        - np.repeat(np.cumsum(q_count[survey]) - q_count[survey], q_count[survey])
    )
    n = response.shape[0]
    lo, hi = scale[question, 0], scale[question, 1]
    score = np.empty(n)
    for a, b in {(float(x), float(y)) for x, y in scale}:
        rows = (lo == a) & (hi == b)
        score[rows] = score_on_scale(rng, mood[response][rows], a, b, noise=0.6)
    answered_score = rng.random(n) >= SKIPPED_SHARE
    first_of_response = question == first_q[survey][response]
    has_comment = commented[response] & first_of_response & answered_score
    row_identity_only = identity_only[response]
    offset, width = world.shard.numbering.claim("survey_responses", responses, 9)
    return make_table(
        "survey_responses",
        answered[response] // DAY,
        response_id=ids("R", offset + response + 1, width),
        survey_id=pick(sids, question),
        question_id=pick(qids, question),
        customer_id=pc.if_else(pa.array(row_identity_only), None, world.ids_of(owner[response])),
        respondent_email=respondent_email.take(pa.array(response)),
        answered_at=timestamps(answered[response]),
        touchpoint=pick(vocab.TOUCHPOINTS, touchpoint[response]),
        channel=pick(vocab.SURVEY_CHANNELS, channel[response]),
        score=numbers(score, valid=answered_score),
        comment=_comments(np.nan_to_num(score), lo, hi, rng, valid=has_comment),
    )


def make_employee_responses(seed: int, staff: Staff, window: Window) -> RawTable:
    """A quarterly pulse survey; about three employees in four answer each wave."""
    rng = rng_for(seed, "employee_survey_responses")
    quarter = np.arange(
        np.datetime64(window.start_day, "D").astype("datetime64[M]"),
        np.datetime64(window.end_day, "D").astype("datetime64[M]") + 1,
        3,
    )
    wave_day = quarter.astype("datetime64[D]").astype(np.int64)
    wave, employee = np.meshgrid(
        np.arange(wave_day.shape[0]), np.arange(staff.count), indexing="ij"
    )
    wave, employee = wave.ravel(), employee.ravel()
    took_part = rng.random(wave.shape[0]) < EMPLOYEE_PARTICIPATION
    wave, employee = wave[took_part], employee[took_part]
    answered = wave_day[wave] * DAY + (rng.random(wave.shape[0]) * 20 * DAY).astype(np.int64)
    keep = answered < window.end_s
    wave, employee, answered = wave[keep], employee[keep], answered[keep]
    order = np.lexsort((employee, answered))
    employee, answered = employee[order], answered[order]
    survey_id, _, questions, lo, hi = vocab.EMPLOYEE_SURVEY
    q = len(questions)
    response = np.repeat(np.arange(employee.shape[0]), q)
    question = np.tile(np.arange(q), employee.shape[0])
    mood = staff.department_morale[staff.department[employee]] + rng.normal(
        0, 0.6, employee.shape[0]
    )
    score = score_on_scale(rng, mood[response], lo, hi, noise=0.5)
    return make_table(
        "employee_survey_responses",
        answered[response] // DAY,
        response_id=ids("ER", response + 1, 8),
        survey_id=pick([survey_id], np.zeros(response.shape[0], int)),
        question_id=pick([qq[0] for qq in questions], question),
        employee_id=staff.employee_ids(employee[response]),
        department=pick(vocab.DEPARTMENTS, staff.department[employee[response]]),
        answered_at=timestamps(answered[response]),
        score=numbers(score),
    )
