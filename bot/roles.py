"""The codes of a leader's role and, for association heads, their association: stored in
`people.role` / `people.association`, labelled by content/texts (onboarding.roles.*,
onboarding.associations.*), and offered by onboarding, class audiences and broadcasts."""

from __future__ import annotations

ROLES = ("truong_thon", "to_truong", "chi_doan", "chi_hoi", "khac")
ASSOCIATIONS = ("nong_dan", "phu_nu", "cuu_chien_binh", "nguoi_cao_tuoi", "khac")
