"""The model of a mapping file (``include/mappings/*.yaml``): its fields, their types and
defaults; docs/mappings.md describes them.

What the templates say is checked when the mapping is loaded
(:func:`zenodo.metadata.mapping.load_mapping` compiles every one of them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from zenodo.config.model_base import NonBlank, StrictModel
from zenodo.config.model_errors import ConfigProblem, config_problems

#: A mapping's ``schema``: what its ``metadata`` is (the same as ``zenodo.metadata.identity``).
DEPOSIT, RDM = "deposit", "rdm"


class MappingInvalid(ValueError):
    """Raised for a mapping file that does not fit the model; holds one problem per error."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


class SidecarModel(StrictModel):
    """The JSON-LD file of the row's terms uploaded with the images."""

    enabled: bool = Field(False, description="upload the sidecar")
    name: NonBlank = Field("{{ dwc.catalogNumber }}.json", description="its name (a template)")
    exclude: list[str] = Field([], description="terms to leave out")


class RdmBodyModel(StrictModel):
    """The top level of an InvenioRDM record body: the metadata of a schema: rdm mapping."""

    metadata: dict[str, Any] = Field(description="the record's metadata")
    custom_fields: dict[str, Any] = Field({}, description="e.g. Darwin Core, Audubon Core")
    access: dict[str, Any] = Field({}, description="record and files: public or restricted")
    files: dict[str, Any] = Field({}, description="e.g. {enabled: true}")
    pids: dict[str, Any] = Field({}, description="persistent identifiers")

    @model_validator(mode="before")
    @classmethod
    def _body_keys_only(cls, data: Any) -> Any:
        unknown = sorted(str(k) for k in data if k not in cls.model_fields) if isinstance(
            data, dict) else []
        if unknown:
            raise ValueError(
                "a schema: rdm mapping gives the record body, whose keys are "
                f"{', '.join(sorted(cls.model_fields))}; got {', '.join(unknown)}")
        return data


class MappingModel(StrictModel):
    """A mapping: how a validated Darwin Core row becomes the metadata of its Zenodo record."""

    name: NonBlank = Field(description="the mapping's name, stored in the ledger")
    version: NonBlank = Field(description="bump it when the output changes: records are edited")
    description: str = Field("", description="free text")
    schema_: Literal["deposit", "rdm"] = Field(
        DEPOSIT, alias="schema",
        description="deposit: metadata is the deposit API's metadata; rdm: a record body")
    params: dict[str, Any] | None = Field(
        {}, description="default values the templates see as params")
    let: dict[str, NonBlank] | None = Field(
        {}, description="name -> Jinja expression, evaluated in order for every record")
    sidecar: SidecarModel | None = Field(None, description="the JSON-LD sidecar")
    metadata: dict[str, Any] = Field(description="a tree of values and templates")


def check_mapping(data: Any) -> MappingModel:
    """Return the checked mapping file (an RDM mapping's ``metadata`` a record body).

    :raises MappingInvalid: with one problem per error
    """
    try:
        model = MappingModel.model_validate(data)
    except ValidationError as exc:
        raise MappingInvalid(config_problems(exc)) from None
    if model.schema_ == RDM:
        try:
            RdmBodyModel.model_validate(model.metadata)
        except ValidationError as exc:
            raise MappingInvalid([ConfigProblem(("metadata", *p.loc), p.message)
                                  for p in config_problems(exc)]) from None
    return model
