"""The Streamlit app (``guidance ui``): pages that hold widgets and session state and call the library.

No retrieval, rule or scoring logic lives here; helpers in this package only present what the
library returns (highlighting a quote, numbering citations, mapping form widgets to a case file).
"""
