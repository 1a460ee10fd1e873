"""vidx.media: every use of FFmpeg, OpenCV and PyAV: opening any file name, reading and sampling frames, cutting
clips, thumbnail strips, exporting spans. The only package that imports cv2 or av; importing it imports neither
(each module imports what it uses)."""
