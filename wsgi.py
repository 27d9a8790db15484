from app import create_server_app
app = create_server_app()
