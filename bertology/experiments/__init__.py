"""The papers' experiments as commands (issue 16; in progress): the SAS paper's claims,
judged on a set of pre-training variants' training dynamics."""

from bertology.experiments.claims import Claim, sas_claims

__all__ = ["Claim", "sas_claims"]
