"""An output type imported by module name (``--output-type tests.output_types:City``)."""

from pydantic import BaseModel


class City(BaseModel):
    """A city and how many live there."""

    name: str
    population: int
