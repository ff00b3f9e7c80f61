"""micqa faces: the command line (cli.py) and the Streamlit app (app.py). Both call rag.api."""
