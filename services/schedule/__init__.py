"""The agenda: sessions, rooms, speakers, pitch and jury rounds."""
